/**
 * Tables as files people open in Excel or WPS: CSV with a UTF-8 byte-order mark (without it Excel
 * on a Chinese Windows reads UTF-8 as GBK and shows mojibake) and RFC 4180 quoting, or XLSX with a
 * bold, frozen header row.
 */
import ExcelJS from 'exceljs';

export interface Column<R> {
  header: string;
  value: (row: R) => string | number | boolean | null;
  /** Excel column width in characters. */
  width?: number;
}

const quote = (v: string | number | boolean | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv<R>(columns: readonly Column<R>[], rows: readonly R[]): Uint8Array {
  const lines = [columns.map((c) => quote(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => quote(c.value(r))).join(','));
  return new TextEncoder().encode(`\uFEFF${lines.join('\r\n')}\r\n`);
}

export async function toXlsx<R>(sheetName: string, columns: readonly Column<R>[], rows: readonly R[]): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '民情地图 Minqing Map';
  const ws = wb.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, width: c.width ?? Math.max(10, c.header.length * 2 + 2) }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(columns.map((c) => c.value(r)));
  return new Uint8Array(await wb.xlsx.writeBuffer());
}
