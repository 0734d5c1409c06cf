/**
 * Chinese text in server-made PDFs with no system font: Noto Sans SC from the npm package
 * @fontsource/noto-sans-sc, which ships the font split by Unicode range into ~100 WOFF2 files per
 * weight. Each run of text is drawn with the file that holds its characters; pdfkit (through
 * fontkit) embeds only the glyphs used, so a report stays a few hundred kilobytes.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type PDFKit from 'pdfkit';

export type Weight = 400 | 700;

interface Face {
  file: string;
  ranges: Array<[number, number]>;
}

const require = createRequire(import.meta.url);
const packageDir = path.dirname(require.resolve('@fontsource/noto-sans-sc/package.json'));
const faces = new Map<Weight, Face[]>();
const buffers = new Map<string, Buffer>();
const registeredIn = new WeakMap<PDFKit.PDFDocument, Set<string>>();

function facesOf(weight: Weight): Face[] {
  let list = faces.get(weight);
  if (!list) {
    const css = fs.readFileSync(path.join(packageDir, `${weight}.css`), 'utf8');
    list = [
      ...css.matchAll(/src: url\(\.\/files\/[^)]+\.woff2\)[^,]*, url\(\.\/files\/([^)]+\.woff)\)[^;]*;\s*unicode-range: ([^;]+);/g),
    ].map((m) => ({
      file: m[1]!,
      ranges: m[2]!.split(',').map((r) => {
        const [a, b] = r.trim().slice(2).split('-');
        return [parseInt(a!, 16), parseInt(b ?? a!, 16)] as [number, number];
      }),
    }));
    if (list.length === 0) throw new Error(`cjk-font: no faces found in @fontsource/noto-sans-sc/${weight}.css`);
    faces.set(weight, list);
  }
  return list;
}

function faceIndex(weight: Weight, cp: number): number {
  return facesOf(weight).findIndex((f) => f.ranges.some(([a, b]) => cp >= a && cp <= b));
}

/** Selects (registering on first use in this document) the font file for a run's first character. */
function selectFace(doc: PDFKit.PDFDocument, weight: Weight, index: number): void {
  const face = facesOf(weight)[index]!;
  const name = `noto-${weight}-${index}`;
  let registered = registeredIn.get(doc);
  if (!registered) registeredIn.set(doc, (registered = new Set()));
  if (!registered.has(name)) {
    registered.add(name);
    let buf = buffers.get(face.file);
    if (!buf) buffers.set(face.file, (buf = fs.readFileSync(path.join(packageDir, 'files', face.file))));
    doc.registerFont(name, buf);
  }
  doc.font(name);
}

/** Splits text into runs that one font file can draw; characters no file has become "?" of the latin face. */
function runs(weight: Weight, text: string): Array<{ face: number; text: string }> {
  const out: Array<{ face: number; text: string }> = [];
  const latin = faceIndex(weight, 0x41);
  for (const ch of text) {
    let face = faceIndex(weight, ch.codePointAt(0)!);
    let c = ch;
    if (face < 0) [face, c] = [latin, '?'];
    const last = out.at(-1);
    if (last && last.face === face) last.text += c;
    else out.push({ face, text: c });
  }
  return out;
}

export interface TextStyle {
  size: number;
  weight?: Weight;
  color?: string;
  align?: 'left' | 'center' | 'right';
  /** Cut with "…" to this width. */
  maxWidth?: number;
}

export function textWidth(doc: PDFKit.PDFDocument, text: string, size: number, weight: Weight = 400): number {
  let w = 0;
  for (const r of runs(weight, text)) {
    selectFace(doc, weight, r.face);
    w += doc.fontSize(size).widthOfString(r.text);
  }
  return w;
}

/** Draws one line of text with its top-left (or top-centre / top-right, by align) at x, y. */
export function drawText(doc: PDFKit.PDFDocument, text: string, x: number, y: number, style: TextStyle): number {
  const weight = style.weight ?? 400;
  let s = text;
  if (style.maxWidth !== undefined && textWidth(doc, s, style.size, weight) > style.maxWidth) {
    const chars = [...s];
    while (chars.length > 0 && textWidth(doc, `${chars.join('')}…`, style.size, weight) > style.maxWidth) chars.pop();
    s = `${chars.join('')}…`;
  }
  const width = textWidth(doc, s, style.size, weight);
  let cx = style.align === 'center' ? x - width / 2 : style.align === 'right' ? x - width : x;
  doc.fillColor(style.color ?? '#111111');
  for (const r of runs(weight, s)) {
    selectFace(doc, weight, r.face);
    doc.fontSize(style.size).text(r.text, cx, y, { lineBreak: false });
    cx += doc.widthOfString(r.text);
  }
  return width;
}
