/**
 * Every piece of UI text, in one place. zh-CN is the default; zh-TW and English follow the same
 * keys, and the type makes a missing translation a compile error.
 */
export const LOCALES = ['zh-CN', 'zh-TW', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const zhCN = {
  appTitle: '民情地图',
  appSubtitle: '网格化服务管理',
  demoBadge: '演示数据',
  demoNotice: '本街道为程序生成的演示数据，非真实住户信息',
  loading: '正在加载地图…',
  loadFailed: '数据加载失败',
  retry: '重试',
  language: '语言',
  gridCount: '{n} 个网格',
  householdCount: '{n} 户',
  communities: '社区',
  legendTitle: '图例',
  legendGrid: '网格',
  legendCommunity: '社区边界',
  legendBuilding: '楼栋（放大后显示）',
  panelHint: '点击地图上的网格查看详情',
  panelClose: '关闭',
  fieldName: '网格名称',
  fieldCode: '网格编码',
  fieldCommunity: '所属社区',
  fieldLeader: '网格长',
  fieldHouseholds: '住户数',
  fieldVersion: '边界版本',
  noLeader: '未指定',
  buildingsTruncated: '此范围楼栋过多，请放大查看',
  zoomInForBuildings: '放大到街区级别可查看楼栋',
  fitAll: '全览',
} as const;

export type StringKey = keyof typeof zhCN;
type Strings = Record<StringKey, string>;

const zhTW: Strings = {
  appTitle: '民情地圖',
  appSubtitle: '網格化服務管理',
  demoBadge: '示範資料',
  demoNotice: '本街道為程式產生的示範資料，非真實住戶資訊',
  loading: '正在載入地圖…',
  loadFailed: '資料載入失敗',
  retry: '重試',
  language: '語言',
  gridCount: '{n} 個網格',
  householdCount: '{n} 戶',
  communities: '社區',
  legendTitle: '圖例',
  legendGrid: '網格',
  legendCommunity: '社區邊界',
  legendBuilding: '樓棟（放大後顯示）',
  panelHint: '點擊地圖上的網格查看詳情',
  panelClose: '關閉',
  fieldName: '網格名稱',
  fieldCode: '網格編碼',
  fieldCommunity: '所屬社區',
  fieldLeader: '網格長',
  fieldHouseholds: '住戶數',
  fieldVersion: '邊界版本',
  noLeader: '未指定',
  buildingsTruncated: '此範圍樓棟過多，請放大查看',
  zoomInForBuildings: '放大到街區級別可查看樓棟',
  fitAll: '全覽',
};

const en: Strings = {
  appTitle: 'Minqing Map',
  appSubtitle: 'Community grid management',
  demoBadge: 'Demo data',
  demoNotice: 'This street is generated demo data, not real households',
  loading: 'Loading the map…',
  loadFailed: 'Could not load data',
  retry: 'Retry',
  language: 'Language',
  gridCount: '{n} grids',
  householdCount: '{n} households',
  communities: 'Communities',
  legendTitle: 'Legend',
  legendGrid: 'Grid',
  legendCommunity: 'Community boundary',
  legendBuilding: 'Building (when zoomed in)',
  panelHint: 'Click a grid on the map for its details',
  panelClose: 'Close',
  fieldName: 'Grid',
  fieldCode: 'Code',
  fieldCommunity: 'Community',
  fieldLeader: 'Grid leader',
  fieldHouseholds: 'Households',
  fieldVersion: 'Boundary version',
  noLeader: 'Not assigned',
  buildingsTruncated: 'Too many buildings here — zoom in',
  zoomInForBuildings: 'Zoom in to see buildings',
  fitAll: 'Whole street',
};

export const STRINGS: Record<Locale, Strings> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en };

export const LOCALE_NAMES: Record<Locale, string> = { 'zh-CN': '简体中文', 'zh-TW': '繁體中文', en: 'English' };

export function translate(locale: Locale, key: StringKey, vars: Record<string, string | number> = {}): string {
  return STRINGS[locale][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}
