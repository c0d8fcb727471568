import { Command } from 'commander';

/**
 * `kvstore`: the umbrella CLI. Sub-commands arrive with the issues that build
 * them (node, cluster, bench); until then it explains itself.
 */
export function kvstoreProgram(): Command {
  const program = new Command('kvstore')
    .description('kvstore: a replicated key-value store (Raft over LevelDB, RESP front door)')
    .version('0.1.0');
  return program;
}

const program = kvstoreProgram();
if (process.argv.length <= 2) {
  program.outputHelp();
} else {
  program.parse(process.argv);
}
