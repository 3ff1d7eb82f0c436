/**
 * JSON shapes of the 素材 library, shared by the server and the sidebar page (type-only: the page
 * must not pull server code into its build).
 */

export type MaterialKind = 'image' | 'link' | 'file' | 'miniprogram';

/** A material as the sidebar lists it. */
export interface MaterialView {
  id: number;
  kind: MaterialKind;
  category: string;
  title: string;
  description: string;
  /** What to show as its picture: the image itself (same origin), a link's or mini-program's cover; null for files. */
  thumbUrl: string | null;
  /** Files: "价目表.pdf · 1.2 MB". */
  fileLabel: string | null;
  uses: number;
}

export interface MaterialLibraryView {
  categories: string[];
  materials: MaterialView[];
  total: number;
}

/**
 * What the page hands to the JS-SDK's sendChatMessage for one material (WeCom 聊天工具栏
 * sendChatMessage: image/file take a mediaid, news a link card, miniprogram a card with imgUrl).
 */
export type ChatMaterialMessage =
  | { msgtype: 'image'; image: { mediaid: string } }
  | { msgtype: 'file'; file: { mediaid: string } }
  | { msgtype: 'news'; news: { link: string; title: string; desc: string; imgUrl: string } }
  | { msgtype: 'miniprogram'; miniprogram: { appid: string; title: string; imgUrl: string; page: string } };

/** A material as operators manage it through /api/materials (never the file's bytes). */
export interface MaterialRecord {
  id: number;
  kind: MaterialKind;
  category: string;
  title: string;
  description: string;
  url: string | null;
  picUrl: string | null;
  appid: string | null;
  page: string | null;
  fileName: string | null;
  contentType: string | null;
  size: number;
  uses: number;
  lastUsedAt: string | null;
  createdAt: string;
  updatedAt: string;
}
