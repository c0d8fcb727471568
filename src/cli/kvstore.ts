import { Command, InvalidArgumentError } from 'commander';
import { addressProblem, parseEndpoint } from '../config/address.js';
import { createLogger } from '../server/logger.js';
import { secretFromEnv, secretFromFile, SecretProblem } from '../config/cluster-secret.js';
import type { ClusterSecret } from '../net/peer-auth.js';
import { runMember } from './run-member.js';
import { addBenchCommand } from './bench.js';
import { addClusterCommand } from './cluster.js';
import { addExperimentCommand } from './experiment.js';

/** `kvstore`: the umbrella CLI (node; more sub-commands arrive with later work). */
export function kvstoreProgram(): Command {
  const program = new Command('kvstore')
    .description('kvstore: a replicated key-value store (Raft over LevelDB, RESP front door)')
    .version('0.1.0')
    .showHelpAfterError();

  program
    .command('node')
    .description('run one Raft member by hand; add others from its prompt with `add <id> <ip:port>`')
    .requiredOption('--id <n>', 'this member\'s id (a positive integer)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
      return n;
    })
    .requiredOption('--listen <ip:port>', 'where it serves clients and peers', (v) => {
      const problem = addressProblem(v);
      if (problem !== null) throw new InvalidArgumentError(problem);
      return v;
    })
    .option('--join', 'wait to be added by an existing member instead of starting a one-member cluster')
    .option('--data-dir <dir>', 'LevelDB data dir (default data/node-<id>)')
    .option('--cluster <name>', 'cluster name checked in the peer handshake', 'kvstore')
    .option('--cluster-secret-file <path>', 'file holding the cluster_secret peers prove in the handshake (contents trimmed)')
    .option('--cluster-secret-env <var>', 'environment variable holding the cluster_secret')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .action(async (o: NodeCliOptions) => {
      const listen = parseEndpoint(o.listen);
      const clusterSecret = nodeClusterSecret(o);
      await runMember({
        ...(clusterSecret !== undefined ? { clusterSecret } : {}),
        id: o.id,
        listen,
        initialMembers: o.join === true ? new Map() : new Map([[o.id, o.listen]]),
        dataDir: o.dataDir ?? `data/node-${o.id}`,
        cluster: o.cluster,
        logger: createLogger(`node-${o.id}`, o.logLevel),
      });
    });
  addBenchCommand(program);
  addClusterCommand(program);
  addExperimentCommand(program);
  return program;
}

interface NodeCliOptions {
  id: number;
  listen: string;
  join?: boolean;
  dataDir?: string;
  cluster: string;
  clusterSecretFile?: string;
  clusterSecretEnv?: string;
  logLevel?: string;
}

/** The secret `kvstore node` was pointed at (never on the command line itself: argv is public); a problem exits 2. */
function nodeClusterSecret(o: NodeCliOptions): ClusterSecret | undefined {
  if (o.clusterSecretFile !== undefined && o.clusterSecretEnv !== undefined) {
    process.stderr.write('kvstore node: give at most one of --cluster-secret-file and --cluster-secret-env\n');
    process.exit(2);
  }
  try {
    if (o.clusterSecretFile !== undefined) return secretFromFile(o.clusterSecretFile);
    if (o.clusterSecretEnv !== undefined) return secretFromEnv(o.clusterSecretEnv);
    return undefined;
  } catch (err) {
    if (!(err instanceof SecretProblem)) throw err;
    process.stderr.write(`kvstore node: ${err.reason}\n`);
    process.exit(2);
  }
}

const program = kvstoreProgram();
if (process.argv.length <= 2) {
  program.outputHelp();
} else {
  await program.parseAsync(process.argv);
}
