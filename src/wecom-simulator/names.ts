import type { Random } from './random';

/** Name material for realistic demo data: common surnames and given names, with pinyin for userids. */

const SURNAMES: readonly (readonly [string, string])[] = [
  ['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'], ['黄', 'huang'],
  ['赵', 'zhao'], ['吴', 'wu'], ['周', 'zhou'], ['徐', 'xu'], ['孙', 'sun'], ['马', 'ma'], ['朱', 'zhu'],
  ['胡', 'hu'], ['郭', 'guo'], ['何', 'he'], ['林', 'lin'], ['高', 'gao'], ['罗', 'luo'], ['郑', 'zheng'],
  ['梁', 'liang'], ['谢', 'xie'], ['宋', 'song'], ['唐', 'tang'], ['许', 'xu'], ['韩', 'han'], ['邓', 'deng'],
  ['冯', 'feng'], ['曹', 'cao'], ['彭', 'peng'], ['曾', 'zeng'], ['萧', 'xiao'], ['田', 'tian'], ['董', 'dong'],
  ['潘', 'pan'], ['袁', 'yuan'], ['蔡', 'cai'], ['蒋', 'jiang'], ['余', 'yu'], ['欧阳', 'ouyang'], ['司马', 'sima'],
];

const GIVEN: readonly (readonly [string, string])[] = [
  ['伟', 'wei'], ['芳', 'fang'], ['娜', 'na'], ['敏', 'min'], ['静', 'jing'], ['丽', 'li'], ['强', 'qiang'],
  ['磊', 'lei'], ['洋', 'yang'], ['艳', 'yan'], ['勇', 'yong'], ['军', 'jun'], ['杰', 'jie'], ['娟', 'juan'],
  ['涛', 'tao'], ['明', 'ming'], ['超', 'chao'], ['秀英', 'xiuying'], ['霞', 'xia'], ['平', 'ping'], ['刚', 'gang'],
  ['桂英', 'guiying'], ['子轩', 'zixuan'], ['雨涵', 'yuhan'], ['浩然', 'haoran'], ['欣怡', 'xinyi'], ['思远', 'siyuan'],
  ['梓涵', 'zihan'], ['一诺', 'yinuo'], ['佳琪', 'jiaqi'], ['晓东', 'xiaodong'], ['建国', 'jianguo'], ['婷婷', 'tingting'],
  ['文博', 'wenbo'], ['诗雨', 'shiyu'], ['俊杰', 'junjie'], ['嘉怡', 'jiayi'], ['宇航', 'yuhang'], ['晨', 'chen'], ['蕾', 'lei'],
];

/** WeChat nicknames are often not real names. */
const NICKNAMES = [
  '追风少年', '小确幸', '阳光明媚', '一只猫', '快乐每一天', '静待花开', '岁月静好', '向日葵', '南山南', '橙子',
  'Lucky小王', 'Amy', 'Kevin陈', '糖糖', '木子李', '夏天的风', '云淡风轻', '小鱼儿', '大白', '茉莉',
];

const EMOJI = ['🌸', '🍀', '😊', '🌈', '☀️', '🐱', '🍊', '💎', '🎈', '✨', '🌙', '🍓'];

export function personName(r: Random): { name: string; pinyin: string } {
  const [s, sp] = r.pick(SURNAMES);
  const [g, gp] = r.pick(GIVEN);
  return { name: s + g, pinyin: sp + gp };
}

/** A customer's WeChat display name: mostly real names, some nicknames, some with emoji. */
export function customerName(r: Random): string {
  const base = r.chance(0.2) ? r.pick(NICKNAMES) : personName(r).name;
  if (r.chance(0.1)) return r.chance(0.5) ? base + r.pick(EMOJI) : r.pick(EMOJI) + base;
  return base;
}

/** How a rep typically remarks a customer: "王女士", "李伟-老客户"… */
export function remarkFor(r: Random, name: string): string {
  if (r.chance(0.4)) return '';
  const surname = SURNAMES.find(([s]) => name.startsWith(s))?.[0];
  const who = surname ? surname + r.pick(['先生', '女士', '总', '姐', '哥']) : name;
  return r.chance(0.5) ? who : `${who}-${r.pick(['老客户', 'VIP', '门店', '直播间', '意向强', '待回访'])}`;
}

export const COMPANIES = ['腾讯科技', '阿里巴巴', '字节跳动', '美团', '京东', '小米', '网易', '华为', '招商银行', '万科'];
