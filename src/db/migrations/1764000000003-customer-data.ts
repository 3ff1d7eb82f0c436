import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * The customer data model: who works here (members, departments), who the customers are
 * (external contacts), who follows whom (follows + their tags), corp tags, customer groups,
 * every message, orders, notes, touches, and the change history behind the timeline.
 * Instants are epoch milliseconds (UTC); WeCom ids are kept as WeCom spells them.
 */
export class CustomerData1764000000003 implements MigrationInterface {
  name = 'CustomerData1764000000003';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    const updatedAt = c.time('updated_at');

    await createTable(qr, {
      name: 'departments',
      columns: [
        c.id(), c.bigint('dept_id'), c.str('name', 255, { default: "''" }), c.bigint('parent_id', { isNullable: true }),
        c.bigint('sort_order', { default: 0 }), c.text('leaders'), c.str('synced_run', 64, { isNullable: true }), updatedAt,
      ],
      indices: [{ columns: ['dept_id'], unique: true, name: 'uq_departments_dept' }],
    });

    // Reps and supervisors. supervisor_user_id: the member's direct leader (直属上级), else the
    // leader of their main department.
    await createTable(qr, {
      name: 'members',
      columns: [
        c.id(), c.str('user_id', 64), c.str('name', 255, { default: "''" }), c.str('position', 255, { isNullable: true }),
        c.text('department_ids'), c.bigint('main_department', { isNullable: true }), c.bool('is_leader'),
        c.str('supervisor_user_id', 64, { isNullable: true }), c.str('status', 16, { default: "'active'" }),
        c.time('last_app_visit_at', { isNullable: true }), c.str('synced_run', 64, { isNullable: true }), updatedAt,
      ],
      indices: [
        { columns: ['user_id'], unique: true, name: 'uq_members_user' },
        { columns: ['supervisor_user_id'] },
        { columns: ['main_department'] },
      ],
    });

    await createTable(qr, {
      name: 'external_contacts',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('name', 255, { default: "''" }), c.int('type', { default: 0 }),
        c.int('gender', { default: 0 }), c.str('unionid', 128, { isNullable: true }), c.str('corp_name', 255, { isNullable: true }),
        c.str('position', 255, { isNullable: true }), c.str('avatar', 512, { isNullable: true }),
        c.time('archive_agreed_at', { isNullable: true }), c.time('fetched_at', { isNullable: true }), c.time('created_at'), updatedAt,
      ],
      indices: [
        { columns: ['external_user_id'], unique: true, name: 'uq_external_contacts_ext' },
        { columns: ['unionid'] },
      ],
    });

    // The rep↔customer relation. status: active | half (customer added a rep with 免验证, not yet
    // confirmed) | ended. ended_by: rep_deleted (the rep deleted the customer), customer_deleted
    // (the customer deleted the rep), transfer (在职继承 moved them), sync (vanished without an event).
    // last_event_at: the newest WeCom event (or sync read) applied; older ones are ignored.
    await createTable(qr, {
      name: 'follows',
      columns: [
        c.id(), c.str('user_id', 64), c.str('external_user_id', 128), c.str('status', 16),
        c.str('remark', 255, { isNullable: true }), c.text('description'), c.str('remark_corp_name', 255, { isNullable: true }),
        c.text('remark_mobiles'), c.int('add_way', { isNullable: true }), c.str('state', 128, { isNullable: true }),
        c.str('oper_user_id', 128, { isNullable: true }), c.time('added_at', { isNullable: true }),
        c.time('ended_at', { isNullable: true }), c.str('ended_by', 24, { isNullable: true }),
        c.time('last_event_at', { default: 0 }), c.str('synced_run', 64, { isNullable: true }), c.time('created_at'), updatedAt,
      ],
      indices: [
        { columns: ['user_id', 'external_user_id'], unique: true, name: 'uq_follows_pair' },
        { columns: ['external_user_id'] },
        { columns: ['user_id', 'status'] },
        { columns: ['ended_by', 'ended_at'] },
        { columns: ['state'] },
      ],
    });

    // Remark mobiles, one row each, so orders can be linked by mobile with an index.
    await createTable(qr, {
      name: 'contact_mobiles',
      columns: [c.id(), c.str('mobile', 32), c.str('external_user_id', 128), c.str('user_id', 64)],
      indices: [
        { columns: ['external_user_id', 'user_id', 'mobile'], unique: true, name: 'uq_contact_mobiles' },
        { columns: ['mobile'] },
      ],
    });

    // Tags a rep put on a customer. tag_type: 1 corp, 2 personal (id is `personal:<name>`), 3 rule-group.
    await createTable(qr, {
      name: 'follow_tags',
      columns: [
        c.id(), c.str('user_id', 64), c.str('external_user_id', 128), c.str('tag_id', 128), c.int('tag_type', { default: 1 }),
        c.str('tag_name', 255, { isNullable: true }), c.time('added_at'),
      ],
      indices: [
        { columns: ['user_id', 'external_user_id', 'tag_id'], unique: true, name: 'uq_follow_tags' },
        { columns: ['external_user_id'] },
        { columns: ['tag_id'] },
      ],
    });

    await createTable(qr, {
      name: 'tag_groups',
      columns: [
        c.id(), c.str('group_id', 128), c.str('name', 255, { default: "''" }), c.bigint('sort_order', { default: 0 }),
        c.bigint('strategy_id', { isNullable: true }), c.time('created_at', { isNullable: true }), c.bool('deleted'), updatedAt,
      ],
      indices: [{ columns: ['group_id'], unique: true, name: 'uq_tag_groups_group' }],
    });

    await createTable(qr, {
      name: 'corp_tags',
      columns: [
        c.id(), c.str('tag_id', 128), c.str('group_id', 128), c.str('name', 255, { default: "''" }),
        c.bigint('sort_order', { default: 0 }), c.time('created_at', { isNullable: true }), c.bool('deleted'), updatedAt,
      ],
      indices: [
        { columns: ['tag_id'], unique: true, name: 'uq_corp_tags_tag' },
        { columns: ['group_id'] },
      ],
    });

    await createTable(qr, {
      name: 'customer_groups',
      columns: [
        c.id(), c.str('chat_id', 128), c.str('name', 255, { default: "''" }), c.str('owner_user_id', 64, { isNullable: true }),
        c.text('notice'), c.str('status', 16, { default: "'active'" }), c.time('created_at', { isNullable: true }),
        c.time('dismissed_at', { isNullable: true }), c.str('member_version', 64, { isNullable: true }),
        c.time('last_event_at', { default: 0 }), c.str('synced_run', 64, { isNullable: true }), updatedAt,
      ],
      indices: [
        { columns: ['chat_id'], unique: true, name: 'uq_customer_groups_chat' },
        { columns: ['owner_user_id'] },
      ],
    });

    // Current membership; left_at is set when a member leaves (cleared if they join again).
    // member_type: 1 internal member, 2 external contact.
    await createTable(qr, {
      name: 'customer_group_members',
      columns: [
        c.id(), c.str('chat_id', 128), c.str('member_id', 128), c.int('member_type', { default: 2 }),
        c.str('unionid', 128, { isNullable: true }), c.str('name', 255, { isNullable: true }),
        c.str('group_nickname', 255, { isNullable: true }), c.time('join_time', { isNullable: true }),
        c.int('join_scene', { isNullable: true }), c.str('invitor', 128, { isNullable: true }),
        c.time('left_at', { isNullable: true }), c.int('quit_scene', { isNullable: true }), updatedAt,
      ],
      indices: [
        { columns: ['chat_id', 'member_id'], unique: true, name: 'uq_group_members' },
        { columns: ['member_id'] },
      ],
    });

    // Every message, whatever its source. channel: app | kf | archive | fencun; direction: in | out
    // (seen from the corp); category only for what Fencun sends. msgid is namespaced by channel.
    await createTable(qr, {
      name: 'messages',
      columns: [
        c.id(), c.str('msgid', 191), c.str('channel', 16), c.str('direction', 8), c.str('category', 24, { isNullable: true }),
        c.str('msg_type', 32), c.str('external_user_id', 128, { isNullable: true }), c.str('user_id', 128, { isNullable: true }),
        c.str('chat_id', 128, { isNullable: true }), c.str('open_kfid', 128, { isNullable: true }), c.text('text'),
        c.time('msg_time'), c.time('created_at'),
      ],
      indices: [
        { columns: ['msgid'], unique: true, name: 'uq_messages_msgid' },
        { columns: ['external_user_id', 'msg_time'] },
        { columns: ['user_id', 'msg_time'] },
        { columns: ['chat_id', 'msg_time'] },
        { columns: ['msg_time'] },
      ],
    });

    // Derived per customer from 1:1 messages and touches; kept current on every write so the
    // sidebar and the policies read one row. last_msg_id/last_msg_at/last_direction are the fold
    // watermark: newer messages are folded in, an older one triggers a full recount.
    await createTable(qr, {
      name: 'customer_facts',
      columns: [
        c.id(), c.str('external_user_id', 128),
        c.time('last_inbound_at', { isNullable: true }), c.time('last_outbound_at', { isNullable: true }),
        c.time('unanswered_since', { isNullable: true }), c.int('inbound_count', { default: 0 }), c.int('outbound_count', { default: 0 }),
        c.int('conversations', { default: 0 }), c.int('answered_conversations', { default: 0 }),
        c.time('last_touch_at', { isNullable: true }), c.int('touches_since_inbound', { default: 0 }),
        c.str('last_direction', 8, { isNullable: true }), c.time('last_msg_at', { isNullable: true }),
        c.bigint('last_msg_id', { default: 0 }), updatedAt,
      ],
      indices: [
        { columns: ['external_user_id'], unique: true, name: 'uq_customer_facts_ext' },
        { columns: ['unanswered_since'] },
      ],
    });

    // Orders and other value events. A refund is a negative amount. The customer is resolved at
    // import from external_user_id, unionid or mobile; unresolved orders keep their keys and are
    // linked when the contact appears.
    await createTable(qr, {
      name: 'orders',
      columns: [
        c.id(), c.str('external_order_id', 128), c.str('external_user_id', 128, { isNullable: true }),
        c.str('unionid', 128, { isNullable: true }), c.str('mobile', 32, { isNullable: true }), c.decimal('amount'),
        c.time('paid_at'), c.str('product', 255, { isNullable: true }), c.text('items'), c.str('source', 16),
        c.time('created_at'), updatedAt,
      ],
      indices: [
        { columns: ['external_order_id'], unique: true, name: 'uq_orders_external_id' },
        { columns: ['external_user_id', 'paid_at'] },
        { columns: ['paid_at'] },
        { columns: ['unionid'] },
        { columns: ['mobile'] },
      ],
    });

    await createTable(qr, {
      name: 'notes',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('user_id', 64), c.text('text', { isNullable: false }),
        c.bool('is_complaint'), c.time('created_at'), updatedAt,
      ],
      indices: [
        { columns: ['external_user_id', 'created_at'] },
        { columns: ['is_complaint', 'created_at'] },
      ],
    });

    // Every proactive contact, the input of the contact-pressure policy. Unique per
    // (source, ref, customer) so recording the same send twice counts once.
    await createTable(qr, {
      name: 'touches',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('user_id', 64, { isNullable: true }), c.str('category', 24),
        c.time('at'), c.str('source', 32), c.str('ref', 191), c.time('created_at'),
      ],
      indices: [
        { columns: ['source', 'ref', 'external_user_id'], unique: true, name: 'uq_touches_ref' },
        { columns: ['external_user_id', 'at'] },
        { columns: ['user_id', 'at'] },
        { columns: ['category', 'at'] },
      ],
    });

    // Follow, tag and group changes per customer, for the timeline and the churn reports.
    await createTable(qr, {
      name: 'customer_changes',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('user_id', 64, { isNullable: true }), c.str('chat_id', 128, { isNullable: true }),
        c.str('kind', 32), c.text('detail'), c.time('at'), c.str('dedupe_key', 191), c.time('created_at'),
      ],
      indices: [
        { columns: ['dedupe_key'], unique: true, name: 'uq_customer_changes_key' },
        { columns: ['external_user_id', 'at'] },
        { columns: ['kind', 'at'] },
      ],
    });

    // Cursors and resumable progress (KF sync cursors, the reconcile's position, archive watermark).
    await createTable(qr, {
      name: 'data_cursors',
      columns: [c.id(), c.str('name', 191), c.text('value'), updatedAt],
      indices: [{ columns: ['name'], unique: true, name: 'uq_data_cursors_name' }],
    });

    // One row per welcome code: WeCom accepts a code once, within 20 s (API.md 4.12).
    await createTable(qr, {
      name: 'welcome_sends',
      columns: [
        c.id(), c.str('welcome_code', 191), c.str('user_id', 64), c.str('external_user_id', 128),
        c.str('state', 128, { isNullable: true }), c.str('status', 16), c.str('template', 128, { isNullable: true }),
        c.text('error'), c.time('event_at'), c.time('sent_at', { isNullable: true }), c.time('created_at'), updatedAt,
      ],
      indices: [{ columns: ['welcome_code'], unique: true, name: 'uq_welcome_sends_code' }],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of [
      'welcome_sends', 'data_cursors', 'customer_changes', 'touches', 'notes', 'orders', 'customer_facts', 'messages',
      'customer_group_members', 'customer_groups', 'corp_tags', 'tag_groups', 'follow_tags', 'contact_mobiles', 'follows',
      'external_contacts', 'members', 'departments',
    ]) {
      await qr.dropTable(t);
    }
  }
}
