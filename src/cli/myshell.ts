import { Command, InvalidArgumentError } from 'commander';
import { addressProblem, parseEndpoint, type Endpoint } from '../config/address.js';
import { loadConfigFileOrExit } from '../config/lab-config.js';
import { MYSHELL_EXIT, runMyshell } from '../shell/myshell.js';
import { shellTargetOf } from '../shell/shell-target.js';

/**
 * `myshell --config FILE`: the lab's client shell. See src/shell/myshell.ts
 * for what it does and README "Talking to it: myshell and nc" for exit statuses.
 */
const program = new Command('myshell')
  .description('the kvstore client shell: type SET/GET/DEL lines, see the raw RESP replies')
  .option('--config <file>', 'a lab config: coordinator (its coordinator_info), participant (its coordinator_info) or raft (its first follower_info)')
  .option('--config_path <file>', 'same as --config')
  .option('--address <ip:port>', 'connect here instead (overrides --config)', (v) => {
    const problem = addressProblem(v);
    if (problem !== null) throw new InvalidArgumentError(problem);
    return v;
  })
  .option('-c, --command <line>', 'send this one line, print the reply and exit (0 if answered, -ERROR included; 2 if unreachable)')
  .option('--timeout <ms>', 'how long one command waits for its reply', (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('a positive number of milliseconds');
    return n;
  }, 10_000)
  .showHelpAfterError();
program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : MYSHELL_EXIT.noReply));
program.parse(process.argv);
const o = program.opts<{ config?: string; config_path?: string; address?: string; command?: string; timeout: number }>();

let endpoint: Endpoint;
let password: Buffer | undefined;
if (o.address !== undefined) {
  endpoint = parseEndpoint(o.address);
} else {
  const path = o.config ?? o.config_path;
  if (path === undefined) {
    process.stderr.write('myshell: give --config FILE (a coordinator, participant or raft config) or --address IP:PORT\n');
    process.exit(MYSHELL_EXIT.noReply);
  }
  const cfg = await loadConfigFileOrExit(path);
  endpoint = shellTargetOf(cfg);
  // The config's requirepass is the target's too (one per cluster): AUTH with it on every connect.
  password = cfg.requirepass?.authArgument();
}

const status = await runMyshell({
  endpoint,
  input: process.stdin,
  output: process.stdout,
  errors: process.stderr,
  interactive: o.command === undefined && process.stdin.isTTY === true && process.stdout.isTTY === true,
  ...(o.command !== undefined ? { command: o.command } : {}),
  limits: { replyTimeoutMs: o.timeout },
  ...(password !== undefined ? { password } : {}),
});
// Let piped output drain before leaving (stdin may still hold the loop open).
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(status);
