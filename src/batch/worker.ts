import { parentPort, workerData } from 'node:worker_threads';
import type { Campaign } from '../campaign/campaign';
import { useSharedFontFiles } from '../fonts/files';
import type { SharedFontFiles } from '../fonts/files';
import type { SigningIdentity, SigningSource } from '../sign/identity';
import { Merger } from '../template/merge';
import { makeLetter, transferable } from './renderer';
import type { Job } from './renderer';

/** A worker thread: takes the campaign the main thread loaded, then renders the jobs it is sent. */
const port = parentPort;
if (port) {
  try {
    const { campaign, signing, fonts } = workerData as { campaign: Campaign; signing?: SigningSource; fonts?: SharedFontFiles };
    // The font files the main thread has read, or will: one copy of their bytes for all threads.
    if (fonts) useSharedFontFiles(fonts);
    const merger = new Merger(campaign);
    // The signing key is opened once, before the first job; jobs are rendered one at a time, in order.
    let identity: SigningIdentity | undefined;
    let chain: Promise<void> = signing
      ? import('../sign/signing').then(({ openSigningIdentity }) => openSigningIdentity(signing)).then(
          (id) => void (identity = id),
          (err: unknown) => void port.postMessage({ fatal: err instanceof Error ? err.message : String(err) }),
        )
      : Promise.resolve();
    port.on('message', (job: Job) => {
      chain = chain.then(async () => {
        const reply = await makeLetter(campaign, merger, job, identity);
        // The main thread writes the files (see writeMadeLetter); the bytes move, uncopied.
        port.postMessage(reply, 'made' in reply ? transferable(reply) : []);
      });
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ fatal: e.message, stack: e.stack });
  }
}
