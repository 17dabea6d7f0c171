// The preview page's script, bundled by esbuild (scripts/build-preview.js) into dist/preview/app.js.
import { GlobalWorkerOptions, TextLayer, getDocument } from 'pdfjs-dist';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import 'pdfjs-dist/web/pdf_viewer.css';
import './app.css';
import type { ErrorReport, LetterAnswer as Letter, ListedRecipient as Listed, RecipientsAnswer } from '../api';

GlobalWorkerOptions.workerSrc = '/pdf.worker.mjs';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const list = $<HTMLUListElement>('list');
const search = $<HTMLInputElement>('search');
const pages = $<HTMLDivElement>('pages');
const errorBox = $<HTMLDivElement>('error');
const status = $<HTMLSpanElement>('status');
const langSelect = $<HTMLSelectElement>('lang');
const zoom = $<HTMLSelectElement>('zoom');

let recipients: Listed[] = [];
let shown: Listed[] = [];
let selected: number | undefined;
let language: string | undefined;
let current: PDFDocumentProxy | undefined;
/** Bumped by each request: an answer to an older one is dropped. */
let ticket = 0;

function text(el: HTMLElement, s: string): void {
  el.textContent = s;
}

function where(e: ErrorReport): string {
  return `${e.file ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : ''}${e.field ? `${e.field}: ` : ''}${e.message}${e.hint ? `\n${e.hint}` : ''}`;
}

/** Shows an error; the last good letter stays, dimmed, until the next good one. */
function showError(e: ErrorReport | undefined): void {
  errorBox.hidden = !e;
  if (e) text(errorBox, where(e));
  document.body.classList.toggle('stale', !!e);
}

/** Each recipient's words the search looks in, in small letters: made once per list. */
let hays = new Map<Listed, string>();

function matches(r: Listed, words: string[]): boolean {
  const hay = hays.get(r) ?? '';
  return words.every((w) => hay.includes(w));
}

/**
 * Recipients drawn into the list at a time. A list of 20,000 drawn whole took 7 s to show, and 3 s
 * for each letter typed into the search; the next ones are drawn as the list is scrolled to its
 * end, or moved through past the last one drawn.
 */
const LIST_CHUNK = 200;
/** How many of `shown` are in the list. */
let drawn = 0;
/** The line after the last recipient drawn, saying how many more there are; seen, it draws them. */
const more = document.createElement('li');
more.className = 'more';
more.setAttribute('role', 'presentation');
const moreSeen = new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) drawMore(drawn + LIST_CHUNK);
}, { root: list });

/** Draws the list of the recipients the search finds; `keepPlace`: as far down and scrolled as it was (the list read again after a change). */
function drawList(keepPlace = false): void {
  const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const scroll = list.scrollTop;
  const before = drawn;
  shown = words.length ? recipients.filter((r) => matches(r, words)) : recipients;
  drawn = 0;
  list.replaceChildren();
  drawMore(keepPlace ? Math.max(before, shown.findIndex((r) => r.row === selected) + 1) : LIST_CHUNK);
  if (keepPlace) list.scrollTop = scroll;
}

/** Draws the recipients of `shown` up to `upTo` (at least a chunk more), and the line that says what is left. */
function drawMore(upTo: number): void {
  const end = Math.min(shown.length, Math.max(upTo, drawn + LIST_CHUNK));
  if (end <= drawn) return;
  moreSeen.unobserve(more);
  more.remove();
  list.append(...shown.slice(drawn, end).map(itemFor));
  drawn = end;
  if (drawn < shown.length) {
    text(more, `${(shown.length - drawn).toLocaleString('en')} more: scroll on, or search to narrow the list`);
    list.append(more);
    moreSeen.observe(more);
  }
}

/** A recipient's line in the list. */
function itemFor(r: Listed): HTMLLIElement {
  const li = document.createElement('li');
  li.setAttribute('role', 'option');
  li.dataset.row = String(r.row);
  li.dataset.id = r.id;
  li.setAttribute('aria-selected', String(r.row === selected));
  if (r.error) li.classList.add('bad');
  const top = document.createElement('div');
  top.dir = 'auto';
  top.className = 'who';
  top.textContent = r.name || r.organization || r.id;
  const sub = document.createElement('div');
  sub.className = 'what';
  sub.dir = 'auto';
  sub.textContent = `${r.id} · ${r.group} · ${r.languages.join(', ')}${r.name && r.organization ? ` · ${r.organization}` : ''}`;
  li.append(top, sub);
  if (r.error) {
    const err = document.createElement('div');
    err.className = 'row-error';
    err.textContent = r.error;
    li.append(err);
  }
  li.addEventListener('click', () => select(r.row));
  return li;
}

/** Reads the list and draws it; shows the first recipient's letter when none is chosen (or the chosen one is gone), else, with `thenLetter`, the chosen one's again. */
async function loadList(thenLetter = true): Promise<void> {
  const res = await fetch('/api/recipients');
  const body = (await res.json()) as RecipientsAnswer;
  if (body.error) {
    showError(body.error);
    return;
  }
  recipients = body.recipients ?? [];
  hays = new Map(recipients.map((r) => [r, `${r.id} ${r.name} ${r.organization} ${r.group} ${r.languages.join(' ')}`.toLowerCase()]));
  text($('source'), `${body.file} · ${recipients.length} recipients`);
  drawList(true);
  if (selected === undefined || !recipients.some((r) => r.row === selected)) {
    const first = recipients.find((r) => !r.error) ?? recipients[0];
    if (first) await select(first.row);
  } else if (thenLetter) await render();
}

/**
 * A file changed: the chosen letter is made again first, then the list is read again (a long list
 * took a second to come and be drawn, which the new letter waited for).
 */
async function refresh(): Promise<void> {
  if (selected !== undefined) await render();
  await loadList(selected === undefined);
}

async function select(row: number): Promise<void> {
  if (row !== selected) language = undefined;
  selected = row;
  // Moved past the last one drawn (down or j): the list is drawn that far.
  const at = shown.findIndex((r) => r.row === row);
  if (at >= drawn) drawMore(at + 1);
  for (const li of list.querySelectorAll('li[role="option"]')) li.setAttribute('aria-selected', String(Number((li as HTMLElement).dataset.row) === row));
  list.querySelector('li[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  await render();
}

function scaleFor(viewportWidth: number): number {
  if (zoom.value !== 'fit') return Number(zoom.value);
  return Math.max(0.3, (pages.clientWidth - 24) / viewportWidth);
}

/** Draws the letter's pages, each a canvas under a text layer, keeping the scroll position. */
async function drawPdf(data: Uint8Array): Promise<void> {
  const doc = await getDocument({ data, isEvalSupported: false }).promise;
  const scroll = pages.scrollTop;
  const frames: HTMLDivElement[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: scaleFor(base.width) });
    const frame = document.createElement('div');
    frame.className = 'page';
    frame.dataset.page = String(n);
    frame.style.width = `${Math.floor(viewport.width)}px`;
    frame.style.height = `${Math.floor(viewport.height)}px`;
    frame.style.setProperty('--scale-factor', String(viewport.scale));
    frame.style.setProperty('--total-scale-factor', String(viewport.scale));
    const canvas = document.createElement('canvas');
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    const layer = document.createElement('div');
    layer.className = 'textLayer';
    frame.append(canvas, layer);
    frames.push(frame);
    await page.render({ canvas, canvasContext: canvas.getContext('2d')!, viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined }).promise;
    await new TextLayer({ textContentSource: page.streamTextContent(), container: layer, viewport }).render();
  }
  pages.replaceChildren(...frames);
  pages.scrollTop = scroll;
  await current?.destroy();
  current = doc;
}

/** A word that is an e-mail address or a link, as the letters' typesetting tells them (src/layout/lines.ts). */
const ADDRESS = /\S@\S|:\/\/|^\W*www\./i;
/** The hyphen-joined parts of an address ("wsis-fund" of wsis-fund@example.org). */
const HYPHENATED = /[\p{L}\p{N}_]+(?:-[\p{L}\p{N}_]+)+/gu;

/**
 * Sets `el` to `s` as text, with the hyphen-joined parts of addresses and links kept on one line:
 * the browser breaks a line after any hyphen, and "wsis-" | "fund@example.org" reads as a
 * hyphenated word, as the letters never print it. No character is added, so what is copied is
 * the address itself.
 */
function setTextKeepingAddresses(el: HTMLElement, s: string): void {
  const nodes: (Node | string)[] = [];
  let plain = '';
  for (const word of s.split(/(\s+)/)) {
    if (!ADDRESS.test(word)) {
      plain += word;
      continue;
    }
    let at = 0;
    for (const m of word.matchAll(HYPHENATED)) {
      plain += word.slice(at, m.index);
      if (plain) nodes.push(plain);
      plain = '';
      const span = document.createElement('span');
      span.className = 'nobreak';
      span.textContent = m[0];
      nodes.push(span);
      at = m.index! + m[0].length;
    }
    plain += word.slice(at);
  }
  if (plain) nodes.push(plain);
  el.replaceChildren(...nodes);
}

function drawEmail(l: Letter): void {
  const dl = $<HTMLDListElement>('headers');
  const rows: [string, string][] = [
    ['From', l.email.from],
    ['To', l.email.to],
    ...(l.email.cc.length ? ([['Cc', l.email.cc.join(', ')]] as [string, string][]) : []),
    ...(l.email.bcc.length ? ([['Bcc', `${l.email.bcc.join(', ')} (envelope only)`]] as [string, string][]) : []),
    ...(l.email.replyTo ? ([['Reply-To', l.email.replyTo]] as [string, string][]) : []),
    ['Subject', l.email.subject],
  ];
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.dir = 'auto';
      setTextKeepingAddresses(dd, v);
      return [dt, dd];
    }),
  );
  // A paragraph per line, each in the direction of its first strong letter, as a plain-text mail
  // reader shows it (UAX #9, P2 and P3): the Arabic lines right to left, a link line left to
  // right. (One <pre dir="auto"> does that too, but Chromium then pairs the brackets of an Arabic
  // line as if it were left to right: "(wsis-fund@…" drawn beside the address.)
  $<HTMLDivElement>('body').replaceChildren(
    ...l.email.text.split('\n').map((line) => {
      const p = document.createElement('div');
      p.dir = 'auto';
      setTextKeepingAddresses(p, line);
      return p;
    }),
  );
  $<HTMLUListElement>('attachments').replaceChildren(
    ...l.email.attachments.map((a) => {
      const li = document.createElement('li');
      // The name in its own direction (an Arabic name ends in ".pdf"), then the size.
      const name = document.createElement('bdi');
      name.textContent = a.filename;
      const size = document.createElement('span');
      size.className = 'size';
      size.textContent = ` (${a.bytes < 1000 ? `${a.bytes} bytes` : a.bytes < 1e6 ? `${(a.bytes / 1e3).toFixed(1)} kB` : `${(a.bytes / 1e6).toFixed(1)} MB`})`;
      li.append(name, size);
      return li;
    }),
  );
}

async function render(): Promise<void> {
  if (selected === undefined) return;
  const mine = ++ticket;
  const query = `row=${selected}${language ? `&lang=${encodeURIComponent(language)}` : ''}`;
  text(status, 'Rendering…');
  const started = performance.now();
  const res = await fetch(`/api/letter?${query}`);
  const body = (await res.json()) as Letter;
  if (mine !== ticket) return;
  if (body.error) {
    text(status, 'Error');
    showError(body.error);
    return;
  }
  language = body.language;
  langSelect.replaceChildren(
    ...body.languages.map((code) => {
      const o = document.createElement('option');
      o.value = code;
      o.textContent = code;
      o.selected = code === body.language;
      return o;
    }),
  );
  const bytes = Uint8Array.from(atob(body.pdf), (c) => c.charCodeAt(0));
  await drawPdf(bytes);
  if (mine !== ticket) return;
  drawEmail(body);
  $<HTMLAnchorElement>('download-pdf').href = `/letter.pdf?${query}`;
  $<HTMLAnchorElement>('download-eml').href = `/letter.eml?${query}`;
  document.body.dataset.shown = `${body.id}:${body.language}`;
  showError(undefined);
  text(status, `${body.id} (${body.language}) in ${Math.round(performance.now() - started)} ms`);
}

function move(by: number): void {
  if (shown.length === 0) return;
  const at = shown.findIndex((r) => r.row === selected);
  const next = shown[Math.min(shown.length - 1, Math.max(0, at + by))];
  if (next) void select(next.row);
}

document.addEventListener('keydown', (e) => {
  if (e.target === search || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === 'ArrowDown' || e.key === 'j') {
    e.preventDefault();
    move(1);
  } else if (e.key === 'ArrowUp' || e.key === 'k') {
    e.preventDefault();
    move(-1);
  } else if (e.key === '/') {
    e.preventDefault();
    search.focus();
  }
});
search.addEventListener('input', () => drawList());
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && shown[0]) void select(shown[0].row);
});
langSelect.addEventListener('change', () => {
  language = langSelect.value;
  void render();
});
zoom.addEventListener('change', () => void render());

// Live: the server says when a file changed; the list and the letter are made again.
const events = new EventSource('/events');
let seen = 0;
events.addEventListener('version', (e) => {
  const v = Number((e as MessageEvent<string>).data);
  if (seen && v !== seen) void refresh();
  seen = v;
});

// The token is now in the page's cookie: take it out of the address bar (and of screenshots).
if (location.search.includes('token=')) history.replaceState(null, '', '/');

void loadList();
