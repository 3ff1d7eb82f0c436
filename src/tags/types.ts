/** The corp tag library (企业客户标签) as get_corp_tag_list reports it; instants in epoch ms. */
export interface CorpTag {
  tagId: string;
  name: string;
  order: number;
  createdAt: number | null;
}

export interface TagGroup {
  groupId: string;
  name: string;
  order: number;
  createdAt: number | null;
  /** Rule-group (规则组) id, for tags managed by a strategy. */
  strategyId?: number | null;
  tags: CorpTag[];
}
