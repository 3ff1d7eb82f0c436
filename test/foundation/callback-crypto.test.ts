import { encrypt, getSignature } from '@wecom/crypto';
import { CallbackRefused, decryptFor, verifySignature } from '../../src/callback/verify';
import { parseWecomXml } from '../../src/callback/xml';
import { dedupeKey, orderKey, toWecomEvent } from '../../src/callback/events';

// Official vectors (API.md 1.8): Tencent's published PHP and Python samples.
const PHP = {
  token: 'QDG6eK', key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7',
  signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', timestamp: '1409659589', nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallbackRefused) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('callback crypto', () => {
  it('should verify and decrypt the official URL-verification example', () => {
    const q = { signature: PHP.signature, timestamp: PHP.timestamp, nonce: PHP.nonce };
    expect(refusal(() => verifySignature(PHP.token, q, PHP.echostr))).toBe('accepted');
    const plain = decryptFor(PHP.key, PHP.corpId, PHP.echostr);
    expect(plain).toMatch(/^\d+$/);
  });

  it('should refuse the official example under another token', () => {
    const q = { signature: PHP.signature, timestamp: PHP.timestamp, nonce: PHP.nonce };
    expect(refusal(() => verifySignature('otherToken', q, PHP.echostr))).toBe('bad_signature');
  });

  it('should round-trip a vector built with a fixed random prefix, Chinese text included', () => {
    const xml = '<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好，分寸 😀]]></Content><MsgId>42</MsgId></xml>';
    const random = Buffer.from('0123456789abcdef');
    const enc = encrypt(PHP.key, xml, PHP.corpId, random);
    // Deterministic: the same inputs always give the same ciphertext and signature.
    expect(encrypt(PHP.key, xml, PHP.corpId, random)).toBe(enc);
    const sig = getSignature(PHP.token, '1700000000', '99', enc);
    expect(refusal(() => verifySignature(PHP.token, { signature: sig, timestamp: '1700000000', nonce: '99' }, enc))).toBe('accepted');
    expect(decryptFor(PHP.key, PHP.corpId, enc)).toBe(xml);
  });

  it('should tell a message for another corp from one under the wrong key', () => {
    const xml = '<xml><MsgType>event</MsgType></xml>';
    expect(refusal(() => decryptFor(PHP.key, PHP.corpId, encrypt(PHP.key, xml, 'ww0000000000000000')))).toBe('wrong_corp');
    const otherKey = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
    expect(refusal(() => decryptFor(PHP.key, PHP.corpId, encrypt(otherKey, xml, PHP.corpId)))).toBe('undecryptable');
    expect(refusal(() => decryptFor(PHP.key, PHP.corpId, 'not base64!'))).toBe('undecryptable');
    expect(refusal(() => decryptFor(PHP.key, PHP.corpId, 'AAAA'))).toBe('undecryptable');
  });

  it('should refuse DOCTYPE and entity declarations before parsing', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><A>&lol2;</A></xml>';
    expect(refusal(() => parseWecomXml(bomb))).toBe('hostile_xml');
    expect(refusal(() => parseWecomXml('<!doctype xml SYSTEM "file:///etc/passwd"><xml/>'))).toBe('hostile_xml');
    expect(refusal(() => parseWecomXml('this is not xml'))).toBe('malformed_xml');
    expect(refusal(() => parseWecomXml('<xml><A>unclosed</xml>'))).toBe('malformed_xml');
    expect(refusal(() => parseWecomXml('<other><A>1</A></other>'))).toBe('malformed_xml');
  });

  it('should key a message by MsgId and an event by its identifying fields', () => {
    const msg = parseWecomXml('<xml><MsgType>text</MsgType><MsgId>4561255354251345929</MsgId><CreateTime>1</CreateTime></xml>');
    expect(dedupeKey(msg, 'envelope-1')).toBe('msg:4561255354251345929');
    const add = (user: string) =>
      parseWecomXml(`<xml><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>del_follow_user</ChangeType><UserID>${user}</UserID><ExternalUserID>wmA</ExternalUserID><CreateTime>1403610513</CreateTime></xml>`);
    expect(dedupeKey(add('zhangsan'), 'envelope-1')).toBe(dedupeKey(add('zhangsan'), 'envelope-2'));
    expect(dedupeKey(add('zhangsan'), 'envelope-1')).not.toBe(dedupeKey(add('lisi'), 'envelope-1'));
    expect(orderKey(toWecomEvent(add('zhangsan')))).toBe('customer:wmA');
  });

  it('should type a chat update with its member list', () => {
    const e = toWecomEvent(parseWecomXml(
      '<xml><MsgType>event</MsgType><Event>change_external_chat</Event><ChatId>wr1</ChatId><ChangeType>update</ChangeType><UpdateDetail>add_member</UpdateDetail><JoinScene>1</JoinScene><MemChangeList><Item>Jack</Item></MemChangeList><CreateTime>10</CreateTime></xml>'));
    expect(e).toEqual({
      type: 'external_chat_update', at: 10_000, chatId: 'wr1', updateDetail: 'add_member', joinScene: 1,
      quitScene: undefined, memChangeCnt: undefined, memChangeList: ['Jack'], lastMemVer: undefined, curMemVer: undefined,
    });
  });
});
