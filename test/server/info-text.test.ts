import test from 'ava';
import { infoText } from '../../src/server/info-text.js';
import type { InfoSection } from '../../src/server/info-text.js';

const sections: InfoSection[] = [
  { name: 'Server', fields: () => [['redis_version', '7.2.0'], ['tcp_port', 6379]] },
  { name: 'Raft', fields: () => [['group1', 'role=leader,term=2']] },
  { name: 'Keyspace', fields: () => [] },
];

test('INFO with no section: every section, Redis style (headers, key:value, CRLF, a blank line between sections)', (t) => {
  t.is(infoText(sections, []), '# Server\r\nredis_version:7.2.0\r\ntcp_port:6379\r\n\r\n# Raft\r\ngroup1:role=leader,term=2\r\n\r\n# Keyspace\r\n');
  t.is(infoText(sections, ['all']), infoText(sections, []));
  t.is(infoText(sections, ['everything']), infoText(sections, []));
});

test('INFO <section> matches names in any case; several may be asked; an unknown one adds nothing', (t) => {
  t.is(infoText(sections, ['RAFT']), '# Raft\r\ngroup1:role=leader,term=2\r\n');
  t.is(infoText(sections, ['raft', 'server']), '# Server\r\nredis_version:7.2.0\r\ntcp_port:6379\r\n\r\n# Raft\r\ngroup1:role=leader,term=2\r\n');
  t.is(infoText(sections, ['nosuch']), '');
});

test('a value with a line break cannot break the format', (t) => {
  t.is(infoText([{ name: 'X', fields: () => [['k', 'a\r\nb']] }], []), '# X\r\nk:a  b\r\n');
});
