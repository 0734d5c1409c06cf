/**
 * Turns an uploaded file into features (grids, buildings) or a table (ledgers). The format is
 * told by the bytes, not the name: a name that promises one thing while the bytes are another
 * (a PNG renamed .zip) and a file that breaks its own format (a truncated XLSX) are the user's
 * mistake, answered with a 422 that says so — never a 500.
 *
 * Coordinates: a shapefile's .prj is read by proj4 (through shpjs, which reprojects to WGS84);
 * GeoJSON's legacy `crs` member and FlatGeobuf's header are honoured; otherwise the ranges are
 * checked (geo/import/crs.detect.ts): swapped axes are swapped back, projected numbers without
 * a .prj are refused. GCJ-02 is converted only when the user says the data is GCJ-02.
 */
import { kml } from '@tmcw/togeojson';
import { DOMParser } from '@xmldom/xmldom';
import { unzip } from 'but-unzip';
import ExcelJS from 'exceljs';
import { deserialize as deserializeFgb } from 'flatgeobuf/lib/mjs/geojson.js';
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import proj4 from 'proj4';
import { parseZip } from 'shpjs';
import { CRS_GUESS, extentOf, guessCrs, prjIsGeographic, prjName } from '../../geo/import/crs.detect';
import { decodeText, parseCsv, type TextEncodingName } from '../../geo/import/csv.parse';
import { gcj02ToWgs84, mapPositions } from '../../geo/import/gcj02';
import { ApiError } from '../lib/errors';

export type GeoFormat = 'geojson' | 'shapefile' | 'kml' | 'flatgeobuf';
export type TableFormat = 'csv' | 'xlsx';

export interface CrsReport {
  /** Where the coordinate system came from. */
  source: 'prj' | 'geojson-crs' | 'flatgeobuf-header' | 'kml' | 'guessed';
  /** e.g. "EPSG:4326", or the .prj's name ("CGCS2000_3_Degree_GK_CM_114E"). */
  name: string;
  /** Reprojected to WGS84 from a projected system. */
  reprojected: boolean;
  /** Latitude came first in the file and was swapped back. */
  swapped: boolean;
  /** Converted from GCJ-02 to WGS84 on request. */
  fromGcj02: boolean;
}

export interface GeoFile {
  format: GeoFormat;
  features: Feature<Geometry | null>[];
  crs: CrsReport;
}

export interface TableFile {
  format: TableFormat;
  headers: string[];
  /** Each data row keyed by header; `row` is the spreadsheet's 1-based row number. */
  rows: { row: number; cells: Record<string, unknown> }[];
  encoding: TextEncodingName | null;
}

const unreadable = (message: string, details?: unknown) => new ApiError(422, 'unreadable_file', message, details);

/** What the first bytes say the file is. */
export function sniff(bytes: Uint8Array): 'zip' | 'flatgeobuf' | 'png' | 'jpeg' | 'pdf' | 'ole' | 'xml' | 'json' | 'text' | 'binary' {
  const b = bytes;
  if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return 'zip';
  if (b[0] === 0x66 && b[1] === 0x67 && b[2] === 0x62 && b[3] === 0x03) return 'flatgeobuf';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46) return 'pdf';
  if (b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0) return 'ole';
  const head = decodeText(bytes.subarray(0, 512)).text.trimStart();
  if (head.startsWith('<')) return 'xml';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  // Text has no NUL bytes in the first kilobyte; binary formats nearly always do.
  return bytes.subarray(0, 1024).includes(0) ? 'binary' : 'text';
}

const SNIFF_WORDS: Record<string, string> = {
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  pdf: 'a PDF document',
  ole: 'an old Office file (.xls/.doc); save it as .xlsx',
  binary: 'binary data of an unknown kind',
  text: 'plain text',
  xml: 'XML',
  json: 'JSON',
  zip: 'a zip archive',
  flatgeobuf: 'FlatGeobuf',
};

function extension(name: string): string {
  const m = /\.([a-z0-9]+)$/i.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

// ---------------------------------------------------------------------------------------------
// Geometry files
// ---------------------------------------------------------------------------------------------

const GEO_EXT: Record<string, GeoFormat> = {
  geojson: 'geojson',
  json: 'geojson',
  zip: 'shapefile',
  shp: 'shapefile',
  kml: 'kml',
  fgb: 'flatgeobuf',
};
const GEO_SNIFF: Record<GeoFormat, string> = { geojson: 'json', shapefile: 'zip', kml: 'xml', flatgeobuf: 'flatgeobuf' };

export async function readGeoFile(fileName: string, bytes: Uint8Array, opts: { gcj02: boolean }): Promise<GeoFile> {
  const ext = extension(fileName);
  const kind = sniff(bytes);
  const claimed = GEO_EXT[ext];
  if (ext === 'shp') {
    throw unreadable(`${fileName} is a bare .shp: upload the shapefile as one .zip holding its .shp, .shx, .dbf and .prj files.`);
  }
  const format = claimed ?? (Object.entries(GEO_SNIFF).find(([, s]) => s === kind)?.[0] as GeoFormat | undefined);
  if (!format) {
    throw unreadable(
      `${fileName} is not a GeoJSON, zipped Shapefile, KML or FlatGeobuf file (its content looks like ${SNIFF_WORDS[kind]}).`,
    );
  }
  if (GEO_SNIFF[format] !== kind) {
    throw unreadable(
      `${fileName} is named as ${format === 'shapefile' ? 'a zipped Shapefile' : format} but its content is ${SNIFF_WORDS[kind]}; export the file again or pick the right one.`,
      { claimed: format, content: kind },
    );
  }
  let features: Feature<Geometry | null>[];
  let crs: Omit<CrsReport, 'swapped' | 'fromGcj02'> | null = null;
  try {
    switch (format) {
      case 'geojson': {
        const parsed = readGeoJson(decodeText(bytes).text, fileName);
        features = parsed.features;
        crs = parsed.crs;
        break;
      }
      case 'shapefile': {
        const parsed = await readShapefile(bytes, fileName);
        features = parsed.features;
        crs = parsed.crs;
        break;
      }
      case 'kml': {
        const doc = new DOMParser({ onError: () => undefined }).parseFromString(decodeText(bytes).text, 'text/xml');
        if (!doc.documentElement || doc.getElementsByTagName('kml').length === 0) {
          throw unreadable(`${fileName} is XML but not KML (no <kml> element).`);
        }
        features = kml(doc).features as Feature<Geometry | null>[];
        crs = { source: 'kml', name: 'EPSG:4326', reprojected: false };
        break;
      }
      case 'flatgeobuf': {
        features = [];
        let code: number | null = null;
        for await (const f of deserializeFgb(bytes, {
          headerMetaFn: (h) => {
            code = h.crs?.code ?? null;
          },
        })) {
          features.push(f as unknown as Feature<Geometry | null>);
        }
        if (code !== null && code !== 0 && code !== 4326 && code !== 4490) {
          throw unreadable(
            `${fileName} is in EPSG:${code}; export it as EPSG:4326 (WGS84) or CGCS2000 (EPSG:4490), e.g. ogr2ogr -t_srs EPSG:4326.`,
          );
        }
        crs = code ? { source: 'flatgeobuf-header', name: `EPSG:${code}`, reprojected: false } : null;
        break;
      }
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw unreadable(`${fileName} could not be read as ${format}: ${(e as Error).message}. The file may be damaged or incomplete.`);
  }
  return { format, ...finishCoordinates(features, crs, opts.gcj02, fileName) };
}

function readGeoJson(
  text: string,
  fileName: string,
): { features: Feature<Geometry | null>[]; crs: Omit<CrsReport, 'swapped' | 'fromGcj02'> | null } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw unreadable(`${fileName} is not valid JSON: ${(e as Error).message}.`);
  }
  const obj = json as { type?: string; features?: unknown; crs?: { properties?: { name?: string } } };
  let features: Feature<Geometry | null>[];
  if (obj?.type === 'FeatureCollection' && Array.isArray(obj.features)) features = obj.features as Feature<Geometry | null>[];
  else if (obj?.type === 'Feature') features = [obj as unknown as Feature<Geometry | null>];
  else if (typeof obj?.type === 'string' && 'coordinates' in (obj as object)) {
    features = [{ type: 'Feature', properties: {}, geometry: obj as unknown as Geometry }];
  } else throw unreadable(`${fileName} is JSON but not GeoJSON (no FeatureCollection, Feature or geometry at the top).`);
  // GeoJSON 2008's `crs` member, still written by older tools: honour Web Mercator, accept lon/lat.
  const name = obj.crs?.properties?.name;
  if (name) {
    const code = /(?:EPSG::?|EPSG:)(\d+)/i.exec(name)?.[1] ?? (/CRS84/i.test(name) ? '4326' : null);
    if (code === '3857' || code === '900913' || code === '102100') {
      const toWgs = proj4('EPSG:3857', 'EPSG:4326');
      for (const f of features) {
        if (f?.geometry && 'coordinates' in f.geometry) {
          f.geometry.coordinates = mapPositions(f.geometry.coordinates, (p) => toWgs.forward(p) as [number, number]);
        }
      }
      return { features, crs: { source: 'geojson-crs', name: 'EPSG:3857', reprojected: true } };
    }
    if (code === '4326' || code === '4490' || code === '4214' || code === '4610') {
      return { features, crs: { source: 'geojson-crs', name: `EPSG:${code}`, reprojected: false } };
    }
    throw unreadable(
      `${fileName} declares the coordinate system ${name}, which this import does not reproject; export it as EPSG:4326 (e.g. ogr2ogr -t_srs EPSG:4326).`,
    );
  }
  return { features, crs: null };
}

async function readShapefile(bytes: Uint8Array, fileName: string) {
  let entries: { filename: string; read: () => Promise<Uint8Array> | Uint8Array }[];
  try {
    entries = unzip(bytes);
  } catch (e) {
    throw unreadable(`${fileName} is not a readable zip archive: ${(e as Error).message}.`);
  }
  const names = entries.map((e) => e.filename).filter((n) => !n.includes('__MACOSX'));
  const shp = names.filter((n) => /\.shp$/i.test(n));
  if (shp.length === 0) {
    throw unreadable(
      `${fileName} holds no .shp file (it has: ${names.slice(0, 10).join(', ') || 'nothing'}); zip the .shp, .shx, .dbf and .prj together.`,
    );
  }
  if (shp.length > 1) {
    throw unreadable(`${fileName} holds ${shp.length} shapefiles (${shp.join(', ')}); upload one layer per zip.`);
  }
  const base = shp[0]!.slice(0, -4);
  const prjEntry = entries.find((e) => e.filename.toLowerCase() === `${base.toLowerCase()}.prj`);
  const prj = prjEntry ? new TextDecoder().decode(await prjEntry.read()) : null;
  if (prj) {
    try {
      proj4(prj);
    } catch {
      throw unreadable(
        `The .prj in ${fileName} describes a coordinate system proj4 cannot read ("${prj.slice(0, 80)}…"); export the layer as EPSG:4326.`,
      );
    }
  }
  const parsed = await parseZip(bytes);
  const collection = (Array.isArray(parsed) ? parsed[0] : parsed) as FeatureCollection;
  const crs = prj ? { source: 'prj' as const, name: prjName(prj) ?? 'unnamed', reprojected: !prjIsGeographic(prj) } : null;
  return { features: collection.features as Feature<Geometry | null>[], crs };
}

function* positionsOf(features: readonly Feature<Geometry | null>[]): Generator<Position> {
  const walk = function* (c: unknown): Generator<Position> {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number') yield c as Position;
    else for (const x of c) yield* walk(x);
  };
  for (const f of features) {
    const g = f?.geometry;
    if (!g) continue;
    if (g.type === 'GeometryCollection') for (const m of g.geometries) yield* walk((m as { coordinates?: unknown }).coordinates);
    else yield* walk(g.coordinates);
  }
}

function transformAll(features: Feature<Geometry | null>[], fn: (p: [number, number]) => [number, number]) {
  for (const f of features) {
    const g = f?.geometry;
    if (!g) continue;
    if (g.type === 'GeometryCollection') {
      for (const m of g.geometries) if ('coordinates' in m) m.coordinates = mapPositions(m.coordinates, fn);
    } else g.coordinates = mapPositions(g.coordinates, fn);
  }
}

function finishCoordinates(
  features: Feature<Geometry | null>[],
  declared: Omit<CrsReport, 'swapped' | 'fromGcj02'> | null,
  gcj02: boolean,
  fileName: string,
): Omit<GeoFile, 'format'> {
  const guess = guessCrs(extentOf(positionsOf(features)));
  let swapped = false;
  if (guess === CRS_GUESS.PROJECTED_UNKNOWN) {
    throw new ApiError(
      422,
      'unknown_crs',
      `${fileName} has coordinates beyond longitude/latitude ranges (projected metres?) and no coordinate system is declared; include the .prj (zipped Shapefile) or export as EPSG:4326.`,
    );
  }
  if (guess === CRS_GUESS.SWAPPED) {
    transformAll(features, ([a, b]) => [b, a]);
    swapped = true;
  }
  if (gcj02) transformAll(features, gcj02ToWgs84);
  const crs: CrsReport = {
    ...(declared ?? { source: 'guessed', name: 'EPSG:4326', reprojected: false }),
    swapped,
    fromGcj02: gcj02,
  };
  return { features, crs };
}

// ---------------------------------------------------------------------------------------------
// Ledgers
// ---------------------------------------------------------------------------------------------

export async function readTableFile(fileName: string, bytes: Uint8Array): Promise<TableFile> {
  const ext = extension(fileName);
  const kind = sniff(bytes);
  const format: TableFormat | undefined =
    ext === 'xlsx' ? 'xlsx' : ext === 'csv' || ext === 'txt' ? 'csv' : kind === 'zip' ? 'xlsx' : kind === 'text' ? 'csv' : undefined;
  if (!format) {
    throw unreadable(
      `${fileName} is not a CSV or XLSX ledger (its content looks like ${SNIFF_WORDS[kind]}); save the sheet as .xlsx or .csv.`,
    );
  }
  if (format === 'xlsx' && kind !== 'zip') {
    throw unreadable(`${fileName} is named .xlsx but its content is ${SNIFF_WORDS[kind]}; open it in Excel or WPS and save it as .xlsx.`, {
      claimed: 'xlsx',
      content: kind,
    });
  }
  if (format === 'csv' && kind !== 'text') {
    throw unreadable(`${fileName} is named .csv but its content is ${SNIFF_WORDS[kind]}; save the sheet as CSV or upload the .xlsx.`, {
      claimed: 'csv',
      content: kind,
    });
  }
  return format === 'csv' ? readCsv(bytes) : readXlsx(bytes, fileName);
}

function tableFrom(matrix: unknown[][], format: TableFormat, encoding: TextEncodingName | null, rowNumbers?: number[]): TableFile {
  const headerAt = matrix.findIndex((r) => r.some((c) => String(c ?? '').trim() !== ''));
  if (headerAt < 0) return { format, headers: [], rows: [], encoding };
  const headers = matrix[headerAt]!.map(
    (h, i) =>
      String(h ?? '')
        .normalize('NFKC')
        .trim() || `column${i + 1}`,
  );
  const rows = matrix.slice(headerAt + 1).flatMap((r, i) => {
    if (!r.some((c) => String(c ?? '').trim() !== '')) return [];
    const cells: Record<string, unknown> = {};
    headers.forEach((h, j) => (cells[h] = r[j] ?? null));
    return [{ row: rowNumbers ? rowNumbers[headerAt + 1 + i]! : headerAt + 2 + i, cells }];
  });
  return { format, headers, rows, encoding };
}

function readCsv(bytes: Uint8Array): TableFile {
  const { text, encoding } = decodeText(bytes);
  // Physical line numbers, as Excel shows them, even when a quoted cell spans lines: counted by parseCsv's row order.
  return tableFrom(parseCsv(text), 'csv', encoding);
}

async function readXlsx(bytes: Uint8Array, fileName: string): Promise<TableFile> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (e) {
    throw unreadable(`${fileName} is not a readable XLSX workbook (${(e as Error).message}); open it in Excel or WPS and save it again.`);
  }
  const ws = wb.worksheets.find((w) => w.actualRowCount > 0);
  if (!ws) return { format: 'xlsx', headers: [], rows: [], encoding: null };
  const matrix: unknown[][] = [];
  const numbers: number[] = [];
  // Read once: ExcelJS computes columnCount over every row on each call, and reading it per cell
  // made a 5,000-row ledger take 15 s instead of a fraction of one.
  const columns = ws.columnCount;
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    const values: unknown[] = [];
    for (let c = 1; c <= columns; c++) values.push(cellValue(row.getCell(c).value));
    matrix.push(values);
    numbers.push(n);
  });
  return tableFrom(matrix, 'xlsx', null, numbers);
}

/** ExcelJS cell values: rich text, formulas, hyperlinks → what the cell shows. */
function cellValue(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date || typeof v !== 'object') return v;
  if ('richText' in v) return v.richText.map((t) => t.text).join('');
  if ('result' in v) return (v as { result?: unknown }).result ?? null;
  if ('text' in v) return (v as { text: unknown }).text;
  return String(v);
}
