// CSV for spreadsheets: RFC 4180 quoting, and cells that a spreadsheet would run as a formula
// (leading = + - @, tab or CR) are prefixed with ' so a member's name cannot become a formula.
const formulaStart = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && formulaStart.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

type CsvValue = string | number | boolean | null | undefined;

/** One CSV record with its CRLF line end (RFC 4180). */
export const csvLine = (row: CsvValue[]): string => row.map(csvCell).join(",") + "\r\n";

export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map(csvLine).join("");
}
