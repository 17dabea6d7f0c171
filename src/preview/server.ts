import { layerMappings } from '../data/mapping';
import type { ListMapping } from '../data/mapping';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { preview } from '../batch/preview';
import { loadCampaign } from '../campaign/campaign';
import { DEFAULTS } from '../config';
import { problemsOf, streamRecipients } from '../data/recipients';
import type { RowResult } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { fontFile } from '../fonts/fonts';
import { fullName } from '../i18n/languages';
import type { Problem } from '../problems';
import type { ErrorReport, LetterAnswer, ListedRecipient, RecipientsAnswer } from './api';
import { PAGE } from './page';

/**
 * The live preview: a page on 127.0.0.1 that lists every recipient and shows the chosen one's
 * letter (drawn by pdf.js) and e-mail, rendered by the same preview() the CLI uses, again as
 * soon as a template, campaign.yaml, a file it names or the recipients file changes.
 *
 * The page shows real people's data on a shared machine, so:
 * - it listens on loopback only;
 * - it answers only requests whose Host is its own address (a web page that rebinds a name of
 *   its own to 127.0.0.1 is refused);
 * - every request must carry the random token of the printed address, in the URL or in the
 *   cookie the page gets when opened with it (another local user cannot read the list);
 * - it serves a fixed set of routes: no part of a request's path reaches the file system.
 */
export interface ServeOptions {
  csv: string;
  campaign?: string;
  sheet?: string;
  /** How the list's columns and values are read, over the campaign's (the config file's, then --map). */
  mapping?: ListMapping;
  /** 4173 by default; 0 picks a free port. */
  port?: number;
  /** Told when the files change and the shown letter should be made again. */
  onChange?: (files: string[]) => void;
}

export interface PreviewServer {
  /** The address to open, token included. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export type { ErrorReport, ListedRecipient } from './api';

function report(err: unknown): ErrorReport {
  if (err instanceof LetterMergeError) {
    const { file, line, field } = err.location ?? {};
    return { message: err.message, ...(file ? { file } : {}), ...(line !== undefined ? { line } : {}), ...(field ? { field } : {}), ...(err.hint ? { hint: err.hint } : {}) };
  }
  return { message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

function problemText(p: Problem): string {
  return `${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/**
 * Rows kept in memory between the page's requests (see ListRead): a letter far down a long list
 * was found by reading the file again to its row (0.8 s for row 19,000 of 20,000), and every
 * edit of a template read the whole list again before the new letter showed (1.5 s for 20,000
 * rows, against 0.35 s for a few). A longer file is read again for each letter, as before.
 */
const KEEP_ROWS = 50_000;

/** The recipients file as read: its list for the page, and its rows (up to KEEP_ROWS). */
interface ListRead {
  list: ListedRecipient[];
  rows?: RowResult[];
}

/**
 * What the file's rows depend on, to tell whether they were read already: the file (its device,
 * inode, size and time of change, taken before it is read: a change while it is read changes the
 * time, and the next request reads it again), the sheet, and the campaign's mapping of its columns.
 */
function readKey(csv: string, sheet: string | undefined, mapping: ListMapping): string | undefined {
  let st;
  try {
    st = statSync(csv);
  } catch {
    return undefined; // gone, or not readable: reading it says why
  }
  return JSON.stringify([st.dev, st.ino, st.size, st.mtimeMs, sheet ?? null, mapping]);
}

/** Every row of the recipients file, with the reason for each one that cannot be made. */
async function listRecipients(csv: string, sheet: string | undefined, mapping: ListMapping): Promise<ListRead> {
  const list: ListedRecipient[] = [];
  let rows: RowResult[] | undefined = [];
  let row = 0;
  for await (const item of streamRecipients(csv, { sheet, mapping })) {
    if ('header' in item) continue;
    if ('fileProblem' in item) throw item.fileProblem;
    row++;
    if (rows && rows.push(item) > KEEP_ROWS) rows = undefined;
    if ('problem' in item) {
      const f = item.fields;
      list.push({ row, id: f.id ?? '', name: fullName(f.first_name ?? '', f.last_name ?? ''), organization: f.organization ?? '', group: f.group ?? '', languages: (f.language ?? '').split(';').filter(Boolean), error: problemsOf(item).map(problemText).join('; ') });
      continue;
    }
    const r = item.recipient;
    list.push({ row, id: r.id, name: fullName(r.first_name, r.last_name), organization: r.organization, group: r.group, languages: r.languages });
  }
  return { list, rows };
}

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Styles are set by pdf.js on its text layer; scripts only from here; nothing else anywhere.
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
};

const COOKIE = 'lettermerge_preview';

/** The page's own files, read once: the bundled script and pdf.js's worker. */
function assets(): Record<string, { type: string; body: Buffer }> {
  // Next to this file once built (dist/preview/); from the sources (the tests), in dist/preview/.
  const here = [__dirname, path.join(__dirname, '..', '..', 'dist', 'preview')].find((d) => existsSync(path.join(d, 'app.js')));
  if (!here) throw new Error('the preview page is not built: run "npm run build"');
  // The worker of the same pdf.js build as the one bundled into app.js.
  const worker = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'build', 'pdf.worker.min.mjs');
  return {
    '/app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(here, 'app.js')) },
    '/app.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(here, 'app.css')) },
    '/pdf.worker.mjs': { type: 'text/javascript; charset=utf-8', body: readFileSync(worker) },
    // The letters' own fonts, for the list and the e-mail: a machine without Chinese or Arabic
    // fonts still shows the names (the page asks for each only when it has such text).
    '/fonts/latin.ttf': { type: 'font/ttf', body: readFileSync(fontFile('latin', 'regular')) },
    '/fonts/arabic.ttf': { type: 'font/ttf', body: readFileSync(fontFile('arabic', 'regular')) },
    '/fonts/han.otf': { type: 'font/otf', body: readFileSync(fontFile('han', 'regular')) },
  };
}

/** Starts the preview server on 127.0.0.1. */
export async function servePreview(options: ServeOptions): Promise<PreviewServer> {
  const csv = path.resolve(options.csv);
  const campaignDir = path.resolve(options.campaign ?? DEFAULTS.campaign);
  // Fails now, before a server starts, if the campaign or the file cannot be read at all.
  loadCampaign(campaignDir);
  // The campaign's columns: and values: as they are now (campaign.yaml may change while serving).
  const mapping = () => layerMappings(loadCampaign(campaignDir).mapping, options.mapping);
  let read: Promise<ListRead> | undefined;
  let readAs: string | undefined;
  /**
   * The list and rows of the file as it is now: read again only when it (or how it is read)
   * changed. The page asks for the list and a letter at once: one reading serves both.
   */
  const current = (): Promise<ListRead> => {
    const m = mapping();
    const key = readKey(csv, options.sheet, m);
    if (!read || key === undefined || key !== readAs) {
      readAs = key;
      read = listRecipients(csv, options.sheet, m);
      // A reading that failed is not kept: the next request reads the file again.
      read.catch(() => {
        if (readAs === key) readAs = undefined;
      });
    }
    return read;
  };
  await current();
  const token = randomBytes(24).toString('base64url');
  const files = assets();
  let version = 1;
  const clients = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: report(err) }));
      else res.destroy();
    });
  });
  let port = 0;

  function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  }

  function tokenOf(req: http.IncomingMessage, url: URL): string | undefined {
    const q = url.searchParams.get('token');
    if (q) return q;
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, v] = part.trim().split('=');
      if (k === COOKIE) return v;
    }
    return undefined;
  }

  function sameToken(given: string | undefined): boolean {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Against DNS rebinding: only our own address, by number or as localhost.
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      send(res, 403, 'text/plain; charset=utf-8', 'This preview answers only at its own address.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Only GET.\n', { Allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (!sameToken(tokenOf(req, url))) {
      send(res, 403, 'text/plain; charset=utf-8', 'Open the address lettermerge printed, with its token.\n');
      return;
    }
    const row = Number(url.searchParams.get('row'));
    const lang = url.searchParams.get('lang') ?? undefined;
    switch (url.pathname) {
      case '/':
        send(res, 200, 'text/html; charset=utf-8', PAGE, { 'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` });
        return;
      case '/app.js':
      case '/app.css':
      case '/pdf.worker.mjs':
      case '/fonts/latin.ttf':
      case '/fonts/arabic.ttf':
      case '/fonts/han.otf': {
        const f = files[url.pathname];
        send(res, 200, f.type, f.body);
        return;
      }
      case '/api/recipients': {
        try {
          const answer: RecipientsAnswer = { version, file: path.basename(csv), recipients: (await current()).list };
          send(res, 200, 'application/json', JSON.stringify(answer));
        } catch (err) {
          send(res, 200, 'application/json', JSON.stringify({ version, error: report(err) }));
        }
        return;
      }
      case '/api/letter':
      case '/letter.pdf':
      case '/letter.eml': {
        if (!Number.isSafeInteger(row) || row < 1) {
          send(res, 400, 'application/json', JSON.stringify({ error: { message: 'row must be a whole number from 1' } }));
          return;
        }
        let made;
        try {
          made = await preview({ csv, campaign: campaignDir, sheet: options.sheet, mapping: options.mapping, row, language: lang, rowsRead: (await current()).rows });
        } catch (err) {
          // For the page, an error is what there is to show (200, with the error); a download
          // of a letter that cannot be made fails (422).
          send(res, url.pathname === '/api/letter' ? 200 : 422, 'application/json', JSON.stringify({ version, error: report(err) }));
          return;
        }
        const letter = made.letter!;
        const name = `${made.recipient.id}-${made.language}`;
        if (url.pathname === '/letter.pdf') {
          send(res, 200, 'application/pdf', letter.pdf, { 'Content-Disposition': `attachment; filename="${name}.pdf"` });
        } else if (url.pathname === '/letter.eml') {
          send(res, 200, 'message/rfc822', letter.eml, { 'Content-Disposition': `attachment; filename="${name}.eml"` });
        } else {
          const m = letter.merged;
          const box = (b: { name: string; address: string }) => (b.name ? `${b.name} <${b.address}>` : b.address);
          const answer: LetterAnswer = {
            version,
            id: made.recipient.id,
            language: made.language,
            languages: made.recipient.languages,
            dir: m.lang.direction,
            pdf: letter.pdf.toString('base64'),
            email: {
              from: box(m.email.from),
              to: box(m.email.to),
              cc: m.email.cc.map(box),
              bcc: m.email.bcc.map(box),
              replyTo: m.email.replyTo ? box(m.email.replyTo) : undefined,
              subject: m.email.subject,
              text: m.email.text,
              attachments: letter.attachments,
            },
          };
          send(res, 200, 'application/json', JSON.stringify(answer));
        }
        return;
      }
      case '/events': {
        res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
        res.write(`retry: 1000\nevent: version\ndata: ${version}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new LetterMergeError('USAGE', `port ${options.port ?? 4173} is in use`, { kind: 'usage', hint: 'Choose another with --port, or --port 0 for any free one.' })
          : err,
      );
    });
    server.listen(options.port ?? 4173, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  // Watched once the server listens (a port in use leaves nothing running): the campaign folder
  // (templates, campaign.yaml, the files it names) and the recipients file's folder (editors
  // replace a file rather than write it: a watch on the file itself would stop at the first save).
  const watchers: FSWatcher[] = [];
  let pending: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  const onEvent = (dir: string, only?: string) => (_event: string, name: string | Buffer | null) => {
    const file = name ? path.resolve(dir, String(name)) : dir;
    if (only && file !== only) return;
    changed.add(file);
    clearTimeout(pending);
    pending = setTimeout(() => {
      version++;
      const list = [...changed];
      changed.clear();
      options.onChange?.(list);
      for (const c of clients) c.write(`event: version\ndata: ${version}\n\n`);
    }, 100);
  };
  watchers.push(watch(campaignDir, { recursive: true }, onEvent(campaignDir)));
  if (!csv.startsWith(campaignDir + path.sep)) watchers.push(watch(path.dirname(csv), onEvent(path.dirname(csv), csv)));
  for (const w of watchers) w.on('error', () => undefined);

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    close: async () => {
      clearTimeout(pending);
      for (const w of watchers) w.close();
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

