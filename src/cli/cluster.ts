import { Command, InvalidArgumentError } from 'commander';
import { portOffsetMax } from '../cluster/cluster-layout.js';
import { launchCluster } from '../cluster/launch-cluster.js';

/**
 * `kvstore cluster`: one command for a local cluster (see
 * src/cluster/launch-cluster.ts and README "A local cluster").
 */
export function addClusterCommand(program: Command): void {
  program
    .command('cluster')
    .description('start a local cluster on loopback (a coordinator + 3 participants, or --raft: 3 Raft peers), print where each listens, open myshell on a TTY; Ctrl-C stops them all')
    .option('--dir <dir>', 'configs, data and logs live here; a rerun finds them again', 'data/cluster')
    .option('--base-port <port>', `coordinator on it, participants on the next three; raft peers on +100..+102 (used only when writing configs)`, (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1 || n + portOffsetMax > 65535) {
        throw new InvalidArgumentError(`an integer in 1..${65535 - portOffsetMax}`);
      }
      return n;
    }, 8001)
    .option('--raft', 'three kvstoreraftsystem peers instead of the 2PC coordinator and participants')
    .option('--redis-port <port>', 'the front door also serves the Redis endpoint here (used only when writing configs)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('an integer in 1..65535');
      return n;
    }, 6379)
    .option('--no-redis', 'no Redis endpoint in the configs it writes')
    .option('--memcache-port <port>', 'the front door also serves the memcached text endpoint here (used only when writing configs)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('an integer in 1..65535');
      return n;
    }, 11211)
    .option('--no-memcache', 'no memcached endpoint in the configs it writes')
    .option('--no-shell', 'do not open myshell, even on a TTY')
    .action(async (o: { dir: string; basePort: number; raft?: boolean; shell: boolean; redis: boolean; redisPort: number; memcache: boolean; memcachePort: number }, cmd: Command) => {
      const status = await launchCluster({
        dir: o.dir,
        shape: o.raft === true ? 'raft' : '2pc',
        basePort: o.basePort,
        basePortGiven: cmd.getOptionValueSource('basePort') === 'cli',
        ...(o.redis ? { redisPort: o.redisPort } : {}),
        ...(o.memcache ? { memcachePort: o.memcachePort } : {}),
        shell: o.shell,
        out: process.stdout,
        err: process.stderr,
      });
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(status);
    });
}
