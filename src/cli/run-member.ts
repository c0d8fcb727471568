import { StorageError } from '../../storage/storage-error.js';
import { startMember } from '../participant/raft-member.js';
import type { MemberOptions, RaftMember } from '../participant/raft-member.js';
import { runNodePrompt } from '../shell/node-prompt.js';
import { failedListenAddress } from '../net/listen.js';

/**
 * Starts a member the way every CLI does: a data dir we cannot use is one
 * clear line and exit status 2; the prompt only on a TTY; stdin closed or at
 * EOF changes nothing; SIGINT/SIGTERM close cleanly.
 */
export async function runMember(o: MemberOptions): Promise<RaftMember> {
  let member: RaftMember;
  try {
    member = await startMember(o);
  } catch (err) {
    if (err instanceof StorageError) {
      process.stderr.write(`kvstore: cannot use data dir ${err.dataDir}: ${err.problem}\n`);
      process.exit(2);
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') {
      process.stderr.write(`kvstore: cannot listen on ${failedListenAddress(err, o.listen)}: ${e.code}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    member.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (process.stdin.isTTY) {
    runNodePrompt({ ...member, prompt: `kvstore_server ${member.id}> ` }, process.stdin, process.stdout, stop);
  }
  return member;
}
