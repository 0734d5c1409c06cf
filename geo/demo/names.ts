/**
 * Word lists for the demo street around 南昌市东湖区. The aim is that a street leader from
 * Nanchang reads the map and the records without stumbling: local surnames (熊、万、涂、喻 are
 * common in Jiangxi), the old-town road and lane names, estate names of the kinds found there
 * (单位宿舍 from the 1980s–90s, 花园/苑 from the 2000s), and issues and diary notes in the words
 * grid workers actually write. All names are used at random: no real person or record is meant.
 */
import type { HouseholdCategory } from '../domain/household';
import type { IssueCategory } from '../domain/issue';

/** Surnames with rough relative frequency in Nanchang. */
export const SURNAMES: readonly (readonly [string, number])[] = [
  ['刘', 8], ['胡', 7], ['李', 7], ['王', 7], ['张', 6], ['陈', 6], ['黄', 5], ['万', 5], ['熊', 5],
  ['涂', 4], ['周', 4], ['吴', 4], ['徐', 4], ['朱', 3], ['罗', 3], ['曾', 3], ['彭', 3], ['邹', 3],
  ['肖', 3], ['魏', 2], ['付', 2], ['邓', 2], ['喻', 2], ['龚', 2], ['章', 2], ['舒', 2], ['饶', 2],
  ['聂', 2], ['程', 2], ['余', 2], ['杨', 2], ['江', 2], ['钟', 1], ['谢', 1], ['郭', 1], ['何', 1],
  ['杜', 1], ['汪', 1], ['夏', 1], ['雷', 1], ['桂', 1], ['甘', 1], ['闵', 1], ['戴', 1], ['帅', 1],
];

/** Given names by generation, so an 80-year-old head of household is not called 子轩. */
export const GIVEN_NAMES = {
  old: [
    '建国', '国庆', '建华', '国华', '秀英', '桂英', '秀兰', '淑珍', '凤英', '玉兰', '桂兰', '德明',
    '志强', '解放', '卫东', '红英', '金花', '冬梅', '爱华', '振华', '长根', '水根', '福生', '春生',
    '冬生', '细妹', '满英', '菊香', '保国', '友良', '茂林', '腊梅', '金凤', '炳南', '桂香', '根发',
  ],
  middle: [
    '伟', '磊', '勇', '军', '静', '丽', '敏', '涛', '明', '华', '斌', '燕', '霞', '芳', '强', '晓明',
    '海燕', '建军', '志刚', '丽华', '小红', '晓东', '文杰', '俊', '琳', '婷', '辉', '鹏', '剑', '亮',
    '晓燕', '红梅', '春华', '卫平', '国平', '利民', '小平', '新华', '爱民', '海涛', '志明', '丽萍',
    '晓红', '建平', '文华', '永红', '慧', '莉', '玲', '晓峰', '红艳', '卫红', '雪梅', '少华',
  ],
  young: [
    '子轩', '浩然', '欣怡', '雨涵', '梓涵', '宇航', '思远', '佳怡', '一鸣', '子涵', '嘉怡', '俊杰',
    '雨轩', '思琪', '文博', '晨曦', '梦瑶', '博文', '诗涵', '泽宇', '雅婷', '天宇', '可欣', '浩宇',
  ],
} as const;

/** Community names (…社区): old-town place names of 东湖区. */
export const COMMUNITY_STEMS: readonly string[] = [
  '阳明', '墩子塘', '船山', '子固', '民德', '叠山', '贤士', '孺子', '书院', '百花洲', '滕王阁',
  '彭家桥', '水观音', '十字街', '环湖', '章江', '墨山', '董家窑', '湖滨', '状元桥', '大士院',
  '羊子巷', '珠宝街', '系马桩', '铁街', '洗马池', '三眼井', '皇殿侧', '松柏巷', '棉花市',
  '翘步街', '都司前', '六眼井', '观音亭', '万寿宫', '杨家厂', '豫章', '八一桥', '胜利', '象山',
];

/** North–south roads (along the lattice's vertical lines), west to east. */
export const NS_ROADS: readonly string[] = [
  '沿江北大道', '榕门路', '象山北路', '胜利路', '船山路', '子固路', '八一大道', '墩子塘路',
  '永叔路', '苏圃路', '渊明北路', '青山路', '福州路', '湖滨东路', '百花洲路', '二七北路',
  '洪都北大道', '八一桥路', '贤士一路', '博物馆路', '皇殿侧路', '松柏巷', '系马桩街', '珠宝街',
];

/** East–west roads (along the lattice's horizontal lines), south to north. */
export const EW_ROADS: readonly string[] = [
  '孺子路', '中山路', '民德路', '阳明路', '叠山路', '豫章路', '北京西路', '广场北路', '建德观街',
  '铁街', '棉花市街', '筷子巷', '翘步街', '都司前街', '彭家桥路', '章江路', '环湖路', '书院街',
  '羊子巷', '塘子巷', '洗马池', '三眼井街', '大士院路', '水观音亭路',
];

/** Estate names: 2000s estates (…花园, …苑) and older work-unit housing (…宿舍, …新村). */
export const ESTATE_PREFIXES_NEW: readonly string[] = [
  '锦江', '东湖', '金色', '恒茂', '青云', '新洲', '翠苑', '丽景', '和平', '幸福', '安居', '碧水',
  '兴业', '华侨', '象湖', '绿洲', '春晖', '紫荆', '金桂', '梧桐', '香樟', '君悦', '天韵', '锦绣',
  '景泰', '湖畔', '滨江', '嘉园', '阳光', '明珠', '百花', '文化',
];
export const ESTATE_SUFFIXES_NEW: readonly string[] = ['花园', '苑', '小区', '家园', '公寓', '雅居', '华庭', '名都'];
export const ESTATE_PREFIXES_OLD: readonly string[] = [
  '省电力', '铁路', '纺织', '省建工', '市政', '邮电', '师大', '洪都', '江纺', '化纤', '百货',
  '二七', '省交通', '市一医院', '供销社', '粮食局', '江铃', '印刷厂', '棉纺', '自来水',
];
export const ESTATE_SUFFIXES_OLD: readonly string[] = ['宿舍', '新村', '小区', '大院', '宿舍区'];

/** Public buildings with no households; `{x}` is a road or community stem. */
export const PUBLIC_BUILDINGS = {
  school: { names: ['{x}小学', '南昌市{x}小学'], floors: [4, 5], size: [78, 46] },
  kindergarten: { names: ['{x}幼儿园', '东湖区{x}幼儿园'], floors: [3, 3], size: [44, 28] },
  market: { names: ['{x}农贸市场', '{x}菜市场'], floors: [2, 2], size: [50, 34] },
  centre: { names: ['{x}社区党群服务中心'], floors: [4, 4], size: [32, 18] },
  health: { names: ['{x}社区卫生服务站'], floors: [3, 3], size: [26, 14] },
} as const;
export type PublicBuildingKind = keyof typeof PUBLIC_BUILDINGS;

export const WORK_UNITS: readonly string[] = [
  '退休', '个体经营', '南昌市第一医院', '江西省电力公司', '东湖区实验小学', '南昌铁路局', '江铃汽车',
  '江西师范大学', '中国移动南昌分公司', '洪城大市场', '自由职业', '待业', '江西日报社', '南昌地铁',
];

/** 民情民意事项 descriptions. `{place}` is a building (阳明花园3栋), `{estate}` an estate, `{road}` a road. */
export const ISSUE_TEMPLATES: Readonly<Record<IssueCategory, readonly string[]>> = {
  sanitation: [
    '{place}楼道堆放杂物，长期无人清理，影响通行',
    '{place}附近垃圾桶满溢，清运不及时，气味较大',
    '{road}路边有人倾倒建筑垃圾，请求清运',
    '{place}化粪池堵塞，污水外溢',
    '{place}楼下有住户饲养鸡鸭，卫生状况差',
    '{estate}绿化带被开荒种菜，泼洒粪肥，气味难闻',
    '{road}沿街餐馆油污直排雨水管，路面油腻',
    '{place}楼顶积水滋生蚊虫',
  ],
  public_facility: [
    '{place}楼道路灯损坏，夜间出行不便',
    '{road}人行道地砖松动，雨天踩踏溅水',
    '{place}单元门门禁损坏，无法正常关闭',
    '{estate}健身器材损坏，需要维修',
    '{place}二次供水水压不足，高楼层经常停水',
    '{estate}雨水管道堵塞，下雨时小区内涝',
    '{road}公交站候车亭顶棚破损',
    '{estate}小区路灯不亮，老人晚上出门不便',
  ],
  dispute: [
    '{place}邻里噪音纠纷，楼上住户夜间装修',
    '{place}楼上卫生间渗水至楼下，双方协商未果',
    '{estate}停车位被占用引发邻里争执',
    '{place}房东与租户因押金退还发生纠纷',
    '{place}家庭赡养纠纷，老人反映子女不尽赡养义务',
    '{estate}业主与物业因物业费问题产生矛盾',
    '{place}空调外机安装位置引发邻里矛盾',
    '{place}邻居在楼道养犬，噪音和卫生问题多次协商无果',
  ],
  livelihood: [
    '{place}居民咨询低保申请条件及办理流程',
    '{place}老人咨询高龄津贴办理',
    '{place}居民咨询城乡居民医保缴费',
    '{place}残疾人申请办理残疾证及护理补贴',
    '{place}失业人员咨询再就业培训和灵活就业社保补贴',
    '{place}独居老人申请居家养老助餐服务',
    '{place}居民申请办理居住证',
    '{place}困难家庭申请临时救助',
    '{place}居民咨询老旧小区加装电梯政策',
  ],
  safety_hazard: [
    '{road}窨井盖缺失，行人有跌落危险',
    '{place}外墙瓷砖脱落，存在高空坠物隐患',
    '{estate}围墙出现裂缝并有倾斜',
    '{road}路边行道树枯死，有倒伏危险',
    '{place}楼道电线老化，私拉乱接',
    '{estate}小区门口路面塌陷',
    '{place}阳台防盗窗锈蚀严重，有脱落危险',
    '{road}路口交通标志被树枝遮挡',
  ],
  fire_hazard: [
    '{place}楼道内电动车充电，存在火灾隐患',
    '{estate}消防通道被车辆长期占用',
    '{place}楼道消防栓无水，灭火器过期',
    '{road}沿街门店违规存放液化气瓶',
    '{place}楼道堆放纸箱等易燃杂物',
    '{place}群租房内私接电线、使用大功率电器',
    '{place}住户从楼上飞线给电动车充电',
  ],
  appeal: [
    '{place}居民反映房屋征收补偿问题',
    '{estate}业主反映开发商逾期未办理产权证',
    '{place}居民反映拆迁安置房迟迟未交付',
    '{place}退休职工反映养老金待遇问题',
    '{estate}居民反映周边工地夜间施工扰民，多次投诉未解决',
    '{place}居民反映历史遗留房屋产权问题',
  ],
  suggestion: [
    '{estate}居民建议增设电动车集中充电桩',
    '{estate}居民建议增设老年人休息座椅',
    '{road}居民建议增设人行横道和减速带',
    '{estate}居民建议开展垃圾分类宣传',
    '{estate}居民建议对老旧小区进行改造提升',
    '{place}居民建议加装电梯',
    '{estate}居民建议增设快递柜',
  ],
  other: [
    '{estate}居民反映有流浪犬在小区出没',
    '{road}路边有人摆摊设点占道经营',
    '{place}居民拾到遗失物品交社区',
    '{estate}居民反映有陌生人上门推销保健品',
    '{place}楼道内小广告乱贴乱画',
  ],
};

/**
 * 民情日记 notes are composed of the household's situation (by its first category), optionally a
 * request the resident raised and what the visitor did about it.
 */
export const VISIT_SITUATIONS: Readonly<Record<HouseholdCategory, readonly string[]>> = {
  ordinary: ['家庭情况正常', '家庭和睦，无特殊困难', '住户情况无变化', '已核对家庭成员信息，无变化', '一家人身体都好'],
  elderly: [
    '老人身体状况良好', '老人血压偏高，已提醒按时服药', '老人腿脚不便，平时由子女照料',
    '老人精神状态不错，每天到公园锻炼', '老人耳背，已请家属转达注意事项',
  ],
  empty_nest: [
    '子女在外地工作，老两口生活基本能自理', '老人在家，精神状态尚可，子女每周打电话',
    '老伴住院，老人独自在家，已留下联系电话',
  ],
  lonely_elderly: [
    '独居老人，生活能自理，已检查燃气和用电安全', '孤寡老人身体较弱，已联系助餐服务',
    '老人独自在家，情绪稳定，冰箱里有菜',
  ],
  low_income: ['低保金按月到账，生活基本稳定', '家庭收入有变化，已提醒如实申报', '已核实家庭收入情况'],
  disabled: ['残疾人两项补贴已按时发放', '已了解康复训练情况', '轮椅已坏，已登记申请辅具'],
  seriously_ill: ['病人卧床，家属照料，情况稳定', '病情较上周有所好转', '已协调社区医生上门'],
  difficult: ['家庭生活困难，已登记临时救助需求', '孩子上学费用压力大，已告知助学政策', '已送去慰问品'],
  floating: ['外来务工人员，居住证在有效期内', '新入住人员，已登记身份信息', '已核对流动人口信息'],
  rental: ['租户信息已核对', '房东已签订治安责任书', '出租屋消防器材齐全'],
  community_correction: ['矫正对象按时报到，思想稳定', '矫正对象已找到工作，表现良好', '已与家属沟通近况'],
  key_person: ['重点人员在家，情绪稳定', '近期无异常动向', '已做思想疏导'],
  petitioner: ['信访人情绪平稳，已就诉求进展作了解释', '诉求正在办理，已告知进度', '信访人对处理结果基本认可'],
  unemployed: ['失业人员正在找工作，已推荐招聘信息', '已告知就业培训报名方式', '已办理失业登记'],
  military_family: ['军属家庭情况良好，已送上慰问', '已了解优待政策落实情况'],
  business: ['个体经营正常，已提醒消防安全', '门店营业执照在有效期内', '生意一般，已介绍小额贷款政策'],
};

export const VISIT_REQUESTS: readonly string[] = [
  '反映楼道灯不亮', '反映楼下餐馆油烟扰民', '咨询医保缴费事宜', '反映小区停车难', '反映楼顶漏水',
  '希望增设休息座椅', '反映快递乱堆放', '反映夜间有人在楼下喧哗', '咨询老旧小区改造进度',
  '反映自来水发黄', '反映下水道堵塞', '反映小区监控坏了', '咨询养老保险缴费', '反映楼道有人堆放杂物',
  '咨询加装电梯政策', '反映电动车乱停放',
];
export const VISIT_ACTIONS: readonly string[] = [
  '已记录，转物业处理', '已当场解答', '已上报社区协调', '已登记，将跟进回复', '已告知办理流程',
];
export const VISIT_NOT_HOME: readonly string[] = [
  '敲门无人应答，已在门上留联系卡', '家中无人，邻居称外出走亲戚', '住户上班未在家，改日再访',
  '家中无人，已电话联系约定下次时间',
];
export const VISIT_PHONE_NOT_REACHED: readonly string[] = ['电话无人接听，改日再联系', '电话关机，改日再联系'];
export const VISIT_METHOD_PREFIX = {
  in_person: '',
  phone: '电话回访：',
  video: '视频通话：',
  third_party: '通过楼栋长了解：',
} as const;

/** Issue event notes by transition; the handler's level decides the wording of acceptance. */
export const EVENT_NOTES = {
  registered: { on_spot: ['网格员走访时登记', '居民当面反映，网格员登记', '居民来电反映，已登记'], community: ['居民到社区反映，已登记', '社区接到来电，已登记'], escalated: ['居民反映，情况紧急，已登记'] },
  accepted: { on_spot: ['网格长受理，现场处置'], community: ['社区受理，协调相关单位办理'], escalated: ['报街道受理，专人跟踪督办'] },
  in_progress: ['已联系物业维修', '已联系相关部门处理', '已组织双方调解', '已上门核实情况', '已协调城管执法中队'],
  resolved: ['已处理完毕', '问题已解决', '调解达成一致', '已答复居民'],
  closed: {
    satisfied: ['已回访，群众表示满意'],
    basically_satisfied: ['已回访，群众基本满意'],
    dissatisfied: ['已回访，群众表示不满意，已作解释说明'],
    not_rated: ['已回复，居民未评价'],
  },
  cancelled: { registered: ['经核实为重复登记，予以撤销'], accepted: ['居民撤回诉求'] },
} as const;

const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** 1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (grid names: 阳明社区第十二网格). */
export function chineseNumber(n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`not a small natural number: ${n}`);
  if (n < 10) return DIGITS[n] as string;
  if (n < 100) {
    const tens = Math.floor(n / 10);
    const ones = n % 10;
    return `${tens === 1 ? '' : DIGITS[tens]}十${ones === 0 ? '' : DIGITS[ones]}`;
  }
  return String(n);
}

/**
 * The i-th name of a list, with 二/三… inserted before the road suffix once the list runs out, so
 * a large street still has distinct road names (阳明二路).
 */
export function nthName(list: readonly string[], i: number): string {
  const base = list[i % list.length] as string;
  const round = Math.floor(i / list.length);
  if (round === 0) return base;
  const m = /^(.*?)(大道|路|街|巷)$/.exec(base);
  const ordinal = chineseNumber(round + 1);
  return m ? `${m[1]}${ordinal}${m[2]}` : `${base}${ordinal}`;
}
