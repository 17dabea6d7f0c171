import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** The npm packages a worker thread has loaded once its script has run (it then waits for jobs). */
function packagesOfWorker(): Promise<string[]> {
  const script = `
    require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'batch', 'worker.js'))});
    const packages = Object.keys(require.cache).filter((m) => m.includes('/node_modules/')).map((m) => m.split('/node_modules/').pop().split('/')[0]);
    require('node:worker_threads').parentPort.postMessage({ packages: [...new Set(packages)].sort() });
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { eval: true });
    // Without a campaign, the worker script reports that it could not start: not this message.
    worker.on('message', (m: { packages?: string[] }) => {
      if (!m.packages) return;
      resolve(m.packages);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('a worker thread', () => {
  it('loads what makes letters, not what reads and checks campaign.yaml (yaml and zod: about 85 ms a thread)', async () => {
    const packages = await packagesOfWorker();
    expect(packages).toContain('handlebars');
    expect(packages).not.toContain('yaml');
    expect(packages).not.toContain('zod');
  });
});
