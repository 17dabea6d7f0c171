import { parentPort, workerData } from 'node:worker_threads';
import { loadCampaign } from '../campaign/campaign';
import { Merger } from '../template/merge';
import { fallbackChain } from '../fonts/fonts';
import { language } from '../i18n/languages';
import { renderJob } from './renderer';
import type { Job, JobResult } from './renderer';

function warmUp(languages: string[]): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./produce');
  for (const code of languages) {
    const family = language(code).script;
    fallbackChain(family, 'regular');
    fallbackChain(family, 'bold');
  }
}

/** A worker thread: loads the campaign once, then renders the jobs it is sent. */
const port = parentPort;
if (port) {
  try {
    const campaign = loadCampaign((workerData as { campaignDir: string }).campaignDir);
    const merger = new Merger(campaign);
    // Jobs are rendered one at a time, in the order they arrive. First, while the main thread is
    // still checking the file, load the renderer and parse the fonts the campaign's languages use.
    let chain: Promise<void> = Promise.resolve().then(() => warmUp(campaign.languages));
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
