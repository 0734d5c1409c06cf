/**
 * Every colour of the product, once (after protomaps basemaps' flavors.ts: one typed object of
 * named colours). The map theme (web/src/map/map.theme.ts), the legend's bands
 * (geo/metrics/legend.ts) and the stylesheet (web/src/styles.css, through the `--mq-*` custom
 * properties that cssVariables writes at startup) all take their colours from here, so a colour
 * changed here changes everywhere it is used, and nowhere else can drift from it.
 *
 * Names say the hue and how light it is (50 lightest … 950 darkest), or the one thing a colour is
 * for when only that thing uses it; what each colour is used for is said where it is used.
 */
export const PALETTE = {
  white: '#ffffff',
  transparent: 'rgba(0, 0, 0, 0)',
  black: '#000000',
  nearBlack: '#111111',
  grey13: '#222222',
  grey20: '#333333',
  grey60: '#999999',
  grey55: '#8c8c8c',
  grey73: '#bbbbbb',
  grey85: '#d9d9d9',
  grey93: '#eeeeee',

  // The text and the topbar: blue-greys.
  ink: '#1f2a30',
  inkDeep: '#1b2630',
  chrome: '#23313a',
  chromeTranslucent: 'rgba(35, 49, 58, 0.85)',
  chromeShadow: 'rgba(35, 49, 58, 0.08)',
  chromeHover: '#34454f',
  chromeChip: '#3d5361',
  chromeBorder: '#8a9aa4',
  chromeBorderSoft: '#8fa3ad',
  chromeSelectBorder: '#9fb3c8',
  navyDeep: '#0b2545',
  backdrop: 'rgba(20, 28, 33, 0.45)',
  shadow: 'rgba(0, 0, 0, 0.3)',
  slate800: '#2b3a42',
  slate600: '#4a555c',
  slate500: '#5b6770',
  slate400: '#8a949b',
  slate350: '#9aa5ab',
  slate300: '#a9b3b9',
  slate250: '#b9c1c6',
  slate200: '#d0d4d7',
  slate180: '#d5dade',
  slate100: '#eef1f3',
  slate50: '#f3f6f8',
  slate30: '#f7f9fa',
  slate20: '#fafbfc',

  // Paper and the basemap's warm greys.
  paper: '#f7f5f0',
  paperDim: '#f4f2ee',
  mapBackground: '#f3f1ec',
  line: '#d9d4ca',
  roadCasing: '#c8c1b4',
  roadLabel: '#5a5247',
  buildingFill: '#c9c3b8',
  buildingOutline: '#8c857a',

  red50: '#fdecea',
  red200: '#f3c2bd',
  red400: '#e05a4f',
  red600: '#d7191c',
  red620: '#d73027',
  red650: '#d7301f',
  red700: '#b2182b',
  red800: '#a50f15',
  red900: '#8a1c1c',
  magenta: '#c51b7d',
  magentaHint: 'rgba(197, 27, 125, 0.92)',

  orange50: '#fdf3e7',
  orange250: '#fdb863',
  orange300: '#fdae61',
  orange400: '#fc8d59',
  orange500: '#f28e2b',
  orange700: '#e6550d',
  orange800: '#b35806',
  brown900: '#7f2704',

  yellow50: '#fff4cc',
  yellow400: '#f6c343',
  yellow800: '#7a4f00',
  yellow950: '#3a2c00',
  yellow975: '#2a1d00',
  amber50: '#fff6e5',
  amber: '#f0a30a',

  green50: '#eaf6ec',
  green75: '#e3f1e5',
  green400: '#4cc36a',
  green400Halo: 'rgba(76, 195, 106, 0.3)',
  green600: '#1a9850',
  green800: '#146c3a',

  blue20: '#eef5fa',
  blue30: '#eef3f8',
  blue50: '#deebf7',
  blue60: '#dcecf7',
  blue70: '#e3ecf3',
  blue700: '#2166ac',
  blue700Wash: 'rgba(33, 102, 172, 0.2)',
  blue750: '#1f5f8b',
  blue800: '#08519c',
  blue950: '#08306b',
  indigo500: '#5e72b0',

  purple50: '#e4e2f3',
  purple600: '#6a51a3',
  purple700: '#7b3294',
  purple750: '#762a83',

  // Community tints: Okabe–Ito-derived pastels, distinct for the common colour-vision
  // deficiencies and in greyscale.
  tintBlue: '#9ecae1',
  tintPeach: '#fdd49e',
  tintGreen: '#b8e0b8',
  tintLilac: '#d9c3e6',
  tintRose: '#f7b6b2',
  tintCyan: '#c7e9f1',
} as const;

export type ColourName = keyof typeof PALETTE;

/** The CSS custom property of a colour: `slate100` → `--mq-slate-100`. */
export const cssVariableName = (name: ColourName): string =>
  `--mq-${name.replace(/([a-z])(?=[A-Z0-9])|([0-9])(?=[A-Za-z])/g, '$1$2-').toLowerCase()}`;

/** Every colour as a CSS custom property, for the stylesheet's `var(--mq-…)`. */
export function cssVariables(palette: Record<ColourName, string> = PALETTE): Record<string, string> {
  return Object.fromEntries(Object.entries(palette).map(([name, value]) => [cssVariableName(name as ColourName), value]));
}
