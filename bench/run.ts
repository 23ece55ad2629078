/**
 * `npm run bench`: every scenario prints its figure and the ratio to a baseline measured in the same
 * run on the same machine (machines here are noisy; absolute numbers mean little).
 */
import 'reflect-metadata';
import { dbTransactionsBench } from './db-transactions.bench';

const scenarios: Record<string, () => Promise<void>> = {
  'db-transactions': dbTransactionsBench,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [name, run] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    process.stdout.write(`\n== ${name}\n`);
    await run();
  }
  process.stdout.write(`\npeak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
