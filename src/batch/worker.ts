import { parentPort, workerData } from 'node:worker_threads';
import { loadCampaign } from '../campaign/campaign';
import { Merger } from '../template/merge';
import { renderJob } from './renderer';
import type { Job, JobResult } from './renderer';

/** A worker thread: loads the campaign once, then renders the jobs it is sent. */
const port = parentPort;
if (port) {
  try {
    const campaign = loadCampaign((workerData as { campaignDir: string }).campaignDir);
    const merger = new Merger(campaign);
    // Jobs are rendered one at a time, in the order they arrive.
    let chain: Promise<void> = Promise.resolve();
    port.on('message', (job: Job) => {
      chain = chain.then(async () => {
        try {
          const result: JobResult = await renderJob(campaign, merger, job);
          if (result.ok) {
            // Fresh, exactly sized copies: safe to transfer without copying again.
            const pdf = new Uint8Array(result.pdf);
            const eml = new Uint8Array(result.eml);
            port.postMessage({ ...result, pdf, eml }, [pdf.buffer, eml.buffer] as never);
          } else {
            port.postMessage(result);
          }
        } catch (err) {
          port.postMessage({ fatal: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        }
      });
    });
  } catch (err) {
    port.postMessage({ fatal: err instanceof Error ? err.message : String(err) });
  }
}
