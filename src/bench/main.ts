// npm run bench: measurements that print numbers (never asserted by tests).
import { validateExperiment } from '../engine/experiment';
import { prepareTasks } from '../engine/session';
import { measureThroughput } from './throughput';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const exp = validateExperiment({ name: 'bench', tasks: { type: 'permuted', count: 1 } });
  const tasks = prepareTasks(exp, process.cwd());
  console.log(`Training throughput, 784-${exp.network.hidden.join('-')}-10, batch ${exp.training.batchSize}, ${quick ? 'quick' : 'full'} mode:`);
  await measureThroughput(exp, tasks[0], quick ? 20 : 120, (l) => console.log(l));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
