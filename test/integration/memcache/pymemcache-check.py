# Debian's python3-pymemcache against kvstore's memcached endpoint: every
# command the client offers that kvstore serves; prints one JSON object of
# what came back, which the ava test compares with what memcached answers.
import json
import sys
import time

from pymemcache.client.base import Client

port = int(sys.argv[1])
c = Client(("127.0.0.1", port), connect_timeout=5, timeout=5)
out = {}
out["version"] = c.version().decode()
out["set"] = c.set("py:k", b"hello", noreply=False)
out["get"] = c.get("py:k").decode()
c.set("py:flags", b"x", flags=42, noreply=False)
raw = Client(("127.0.0.1", port), connect_timeout=5, timeout=5, deserializer=lambda key, value, flags: [value.decode(), flags])
out["flags"] = raw.get("py:flags")
binary = bytes(range(256)) + b"\r\nEND\r\n"
c.set("py:bin", binary, noreply=False)
out["binary_ok"] = c.get("py:bin") == binary
value, cas = c.gets("py:k")
out["cas_stale"] = c.cas("py:k", b"other", b"1", noreply=False)
out["cas_ok"] = c.cas("py:k", b"swapped", cas, noreply=False)
out["cas_missing"] = c.cas("py:nokey", b"v", b"1", noreply=False)
out["after_cas"] = c.get("py:k").decode()
out["add_existing"] = c.add("py:k", b"v", noreply=False)
out["add_new"] = c.add("py:new", b"v", noreply=False)
out["replace_missing"] = c.replace("py:nokey", b"v", noreply=False)
out["append"] = c.append("py:k", b">", noreply=False)
out["prepend"] = c.prepend("py:k", b"<", noreply=False)
out["after_pend"] = c.get("py:k").decode()
c.set("py:n", b"10", noreply=False)
out["incr"] = c.incr("py:n", 5)
out["decr"] = c.decr("py:n", 100)
out["incr_missing"] = c.incr("py:nokey", 1)
try:
    c.incr("py:k", 1)
    out["incr_text"] = "no error"
except Exception as e:  # pymemcache raises MemcacheClientError with the server's text
    out["incr_text"] = str(e)
many = c.get_many(["py:k", "py:n", "py:nokey", "py:new"])
out["get_many"] = {k: v.decode() for k, v in sorted(many.items())}
out["touch"] = c.touch("py:new", 100, noreply=False)
out["touch_missing"] = c.touch("py:nokey", 100, noreply=False)
c.set("py:ttl", b"soon", expire=1, noreply=False)
out["ttl_before"] = c.get("py:ttl").decode()
time.sleep(2.2)
out["ttl_after"] = c.get("py:ttl")
c.set("py:quiet", b"q")  # noreply: pymemcache's default
out["quiet"] = c.get("py:quiet").decode()
out["delete"] = c.delete("py:quiet", noreply=False)
out["delete_missing"] = c.delete("py:quiet", noreply=False)
stats = c.stats()
out["stats_has"] = sorted(k.decode() for k in stats if k.decode() in ("pid", "uptime", "curr_connections", "cmd_get", "get_hits", "curr_items"))
c.close()
raw.close()
print(json.dumps(out))
