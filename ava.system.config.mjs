// System tests start real processes and measure failover and error latencies:
// they run one file and one test at a time, apart from the CPU-heavy simulator,
// so that timing assertions hold on a 2-core machine.
export default {
  files: ['test/integration/**/*.test.ts', 'test/fault/**/*.test.ts', 'test/experiment/system/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  concurrency: 1,
  timeout: '10m',
  workerThreads: false,
};
