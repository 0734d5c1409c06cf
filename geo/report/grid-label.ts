/**
 * A grid's name as printed on the meeting's map and the PDF's, in lines. At a street's scale a
 * grid is a few hundred metres across, narrower than "贤士社区第五网格" in print, and side by side
 * such names ran into each other. Names that start with their community (…社区, …村, …居委会) break
 * after it, as the live map's labels wrap; any other name stays on one line.
 */
export function gridLabelLines(name: string): string[] {
  const m = /^(.+?(?:社区|村|居委会))(.+)$/u.exec(name);
  return m ? [m[1]!, m[2]!] : [name];
}
