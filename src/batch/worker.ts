import { parentPort, workerData } from 'node:worker_threads';
import type { Campaign } from '../campaign/campaign';
import { Merger } from '../template/merge';
import { renderJob } from './renderer';
import type { Job, JobResult } from './renderer';

/** A worker thread: takes the campaign the main thread loaded, then renders the jobs it is sent. */
const port = parentPort;
if (port) {
  try {
    const campaign = (workerData as { campaign: Campaign }).campaign;
    const merger = new Merger(campaign);
    // Jobs are rendered one at a time, in the order they arrive.
    let chain: Promise<void> = Promise.resolve();
    port.on('message', (job: Job) => {
      chain = chain.then(async () => {
        const result: JobResult = await renderJob(campaign, merger, job);
        if (result.ok) {
          // Fresh, exactly sized copies: safe to transfer without copying again.
          const pdf = new Uint8Array(result.pdf);
          const eml = new Uint8Array(result.eml);
          port.postMessage({ ...result, pdf, eml }, [pdf.buffer, eml.buffer] as never);
        } else {
          port.postMessage(result);
        }
      });
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ fatal: e.message, stack: e.stack });
  }
}
