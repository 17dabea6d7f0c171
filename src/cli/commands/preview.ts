import { spawn } from 'node:child_process';
import { watch as fsWatch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LetterMergeError } from '../../errors';
import { checkPdfOut, partName, removeStaleParts } from '../../files';
import { DEFAULTS } from '../../config';
import type { Io } from '../io';
import { plural, say } from '../io';
import { mapOption, positiveInt, runMapping, pathOption } from '../options';
import { shown } from '../progress';
import type { Register } from './context';

/** Opens a file in the system's viewer, where one exists; says so where none does. */
function openViewer(file: string, io: Io): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
    child.on('error', () => say(io, `No viewer to open ${file} with (${opener} is not available).\n`));
    child.unref();
  } catch {
    say(io, `No viewer to open ${file} with.\n`);
  }
}

/**
 * Runs `action` again whenever something in the campaign folder or the recipients file changes
 * (but the file `ignore`, the preview itself), until Ctrl-C. The file is watched through its
 * folder: an editor or a spreadsheet saves by putting a new file in its place, which a watch on
 * the file itself would not see (and the moment it is away is no error).
 */
export async function watch(campaignDir: string, csv: string, ignore: string, action: () => Promise<void>, io: Io): Promise<void> {
  say(io, 'Watching the campaign and the CSV for changes (Ctrl-C to stop)…\n');
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const onEvent = (dir: string, only?: string) => (_event: string, name: string | Buffer | null) => {
    const changed = name ? path.resolve(dir, String(name)) : dir;
    if (only && changed !== only) return;
    // The preview itself may be written inside the campaign folder: its own writes are no change.
    if (changed === ignore || changed.startsWith(`${ignore}.`)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => action().catch((err: unknown) => say(io, `lettermerge: ${err instanceof LetterMergeError ? err.describe() : String(err)}\n`)));
    }, 150);
  };
  const watchers = [fsWatch(campaignDir, { recursive: true }, onEvent(campaignDir))];
  if (!csv.startsWith(campaignDir + path.sep)) watchers.push(fsWatch(path.dirname(csv), onEvent(path.dirname(csv), csv)));
  // A watched folder removed: the next preview says what is missing.
  for (const w of watchers) w.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    const stop = io.onInterrupt?.(() => resolve());
    if (!stop) resolve();
  });
  for (const w of watchers) w.close();
  clearTimeout(timer);
  await running;
}

interface Flags {
  sheet?: string;
  map?: Record<string, string>;
  campaign?: string;
  id?: string;
  row?: number;
  lang?: string;
  out?: string;
  text?: boolean;
  watch?: boolean;
  open?: boolean;
  serve?: boolean;
  port?: number;
}

/** The live preview page: runs until Ctrl-C. */
async function servePage(ctx: Parameters<Register>[1], csv: string, campaignDir: string, opts: Flags): Promise<void> {
  const io = ctx.io;
  // Loaded only here: the server and its page are not needed to write one PDF.
  const { servePreview } = await import('../../preview/server');
  const server = await servePreview({
    csv,
    campaign: campaignDir,
    sheet: opts.sheet,
    mapping: runMapping(ctx.config(), opts.map),
    port: opts.port,
    onChange: (files) => say(io, `Changed: ${files.map((f) => shown(f)).join(', ')}; the page shows the new letter.\n`),
  });
  say(io, `The preview is at\n  ${server.url}\nIt answers only on this machine, and only with the token in that address. Ctrl-C to stop.\n`);
  if (opts.open) openViewer(server.url, io);
  await new Promise<void>((resolve) => {
    const stop = io.onInterrupt?.(() => resolve());
    if (!stop) resolve();
  });
  await server.close();
  say(io, 'Preview stopped.\n');
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new LetterMergeError('USAGE', `--port must be a number from 0 to 65535, not "${value}"`, { kind: 'usage' });
  return n;
}

export const registerPreview: Register = (program, ctx) => {
  program
    .command('preview')
    .description('render one letter quickly, to check a template while editing it')
    .argument('<csv>', 'recipients file: CSV, or an Excel workbook (.xlsx)', pathOption('<csv>'))
    .option('-c, --campaign <dir>', 'campaign folder (default: the built-in sample)', pathOption('--campaign'))
    .option('--sheet <name>', "the workbook's sheet to read (default: the first that is not hidden)")
    .option('--map <field=header>', 'read this column as this field, e.g. --map email="Correo electrónico" (repeatable; over columns: in campaign.yaml and the config file)', mapOption)
    .option('--id <id>', 'the recipient with this id (capitals or not)')
    .option('--row <n>', 'the Nth recipient of the file (1 is the first after the header)', positiveInt('--row'))
    .option('-l, --lang <code>', "the letter's language (default: the recipient's first)")
    .option('-o, --out <file>', `where to write the PDF (default: "${DEFAULTS.previewOut}")`, pathOption('--out'))
    .option('--text', 'print the letter as plain text instead of writing a PDF')
    .option('--watch', 'render again whenever a template, campaign.yaml or the CSV changes')
    .option('--open', 'open the PDF (with --serve: the page) in the system viewer, where there is one')
    .option('--serve', 'serve a live page on 127.0.0.1: every recipient, the letter and the e-mail, updated as files change')
    .option('--port <n>', 'the port for --serve (default: 4173; 0 picks a free one)', portNumber)
    .addHelpText(
      'after',
      `
With --serve, no --id or --row is needed: the page lists every recipient (searchable; rows that
cannot be made are marked with the reason) and shows the chosen one's letter, drawn by pdf.js with
selectable text, and its e-mail: headers, cover note, attachments with their sizes. When a
template, campaign.yaml, a file it names or the recipients file changes, the page shows the new
letter by itself; an error shows in the page with its file and line, over the last good letter.
Keys: up/down or j/k move through the recipients, / searches. The page answers only on
127.0.0.1, only to its own Host, and only with the random token in the address it prints.

Examples:
  lettermerge preview people.csv --id gov-es-001 --out letter.pdf
  lettermerge preview people.csv --row 3 --watch --open
  lettermerge preview people.csv --campaign my-campaign --serve --open`,
    )
    .action(async (csv: string, opts: Flags) => {
      const io = ctx.io;
      const campaignDir0 = path.resolve(opts.campaign ?? ctx.config()?.campaign ?? DEFAULTS.campaign);
      if (opts.serve) {
        if (opts.text || opts.watch || opts.out) throw new LetterMergeError('USAGE', '--serve shows every letter in a page: it does not take --text, --watch or --out', { kind: 'usage' });
        await servePage(ctx, csv, campaignDir0, opts);
        return;
      }
      if (opts.port !== undefined) throw new LetterMergeError('USAGE', '--port is for --serve', { kind: 'usage' });
      if ((opts.id === undefined) === (opts.row === undefined)) {
        throw new LetterMergeError('USAGE', 'name the recipient with --id ID or --row N (one of them)', { kind: 'usage' });
      }
      const campaignDir = campaignDir0;
      const out = opts.out ?? DEFAULTS.previewOut;
      const dest = opts.text ? undefined : checkPdfOut(out, 'the --out file');
      if (dest?.whole) removeStaleParts(dest.path);
      const once = async (): Promise<void> => {
        const started = Date.now();
        const { preview } = await import('../../batch/preview');
        const r = await preview({ csv, sheet: opts.sheet, mapping: runMapping(ctx.config(), opts.map), campaign: campaignDir, id: opts.id, row: opts.row, language: opts.lang, textOnly: opts.text });
        if (opts.text) io.stdout(r.text);
        else if (r.letter) {
          const { fileWriteFailure, replaceFile } = await import('../../batch/output');
          // Replaced whole: a viewer that reloads the file as it changes (--watch) never reads half a
          // letter, and a stopped preview leaves the last one.
          const to = dest ?? { path: out, whole: true };
          try {
            if (to.whole) replaceFile(to.path, r.letter.pdf);
            else writeFileSync(to.path, r.letter.pdf);
          } catch (err) {
            throw fileWriteFailure(err, out, [out, to.path, partName(to.path)]);
          }
          say(io, `Wrote ${shown(path.resolve(out))} (${r.recipient.id}, ${r.language}, ${plural(r.letter.pages, 'page')}) in ${Date.now() - started} ms.\n`);
        }
      };
      await once();
      if (opts.open && !opts.text) openViewer(path.resolve(out), io);
      if (opts.watch) await watch(campaignDir, path.resolve(csv), path.resolve(out), once, io);
    });
};
