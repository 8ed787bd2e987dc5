/**
 * Infobip status and error tables (infobip.md §5). Only the curated subset a simulator needs,
 * with the real ids, group ids and names.
 */

export type StatusGroupName =
  'ACCEPTED' | 'PENDING' | 'UNDELIVERABLE' | 'DELIVERED' | 'EXPIRED' | 'REJECTED';

/** The status object as it appears in send responses, reports and logs. */
export interface MessageStatus {
  groupId: number;
  groupName: StatusGroupName;
  id: number;
  name: string;
  description: string;
}

export type ErrorGroupName = 'OK' | 'HANDSET_ERRORS' | 'USER_ERRORS' | 'OPERATOR_ERRORS';

/** The error object as it appears in reports and logs. */
export interface MessageError {
  groupId: number;
  groupName: ErrorGroupName;
  id: number;
  name: string;
  description: string;
  permanent: boolean;
}

const GROUP_IDS: Record<StatusGroupName, number> = {
  ACCEPTED: 0,
  PENDING: 1,
  UNDELIVERABLE: 2,
  DELIVERED: 3,
  EXPIRED: 4,
  REJECTED: 5,
};

function status(id: number, group: StatusGroupName, name: string, description: string) {
  return Object.freeze({ groupId: GROUP_IDS[group], groupName: group, id, name, description });
}

export const STATUSES = {
  // The description is the one seen in real send responses, not the status-table wording.
  PENDING_ACCEPTED: status(26, 'PENDING', 'PENDING_ACCEPTED', 'Message sent to next instance'),
  PENDING_ENROUTE: status(7, 'PENDING', 'PENDING_ENROUTE', 'Message sent to next instance'),
  PENDING_WAITING_DELIVERY: status(
    3,
    'PENDING',
    'PENDING_WAITING_DELIVERY',
    'Message sent, waiting for delivery report',
  ),
  DELIVERED_TO_HANDSET: status(
    5,
    'DELIVERED',
    'DELIVERED_TO_HANDSET',
    'Message delivered to handset',
  ),
  DELIVERED_TO_OPERATOR: status(
    2,
    'DELIVERED',
    'DELIVERED_TO_OPERATOR',
    'Message delivered to operator',
  ),
  UNDELIVERABLE_NOT_DELIVERED: status(
    9,
    'UNDELIVERABLE',
    'UNDELIVERABLE_NOT_DELIVERED',
    'Message sent not delivered',
  ),
  UNDELIVERABLE_REJECTED_OPERATOR: status(
    4,
    'UNDELIVERABLE',
    'UNDELIVERABLE_REJECTED_OPERATOR',
    'Message rejected by operator',
  ),
  EXPIRED_EXPIRED: status(15, 'EXPIRED', 'EXPIRED_EXPIRED', 'Message expired'),
  REJECTED_NETWORK: status(6, 'REJECTED', 'REJECTED_NETWORK', 'Network is forbidden'),
  REJECTED_NOT_ENOUGH_CREDITS: status(
    12,
    'REJECTED',
    'REJECTED_NOT_ENOUGH_CREDITS',
    'Not enough credits',
  ),
  REJECTED_DESTINATION: status(14, 'REJECTED', 'REJECTED_DESTINATION', 'Destination blocklisted'),
  REJECTED_FLOODING_FILTER: status(
    20,
    'REJECTED',
    'REJECTED_FLOODING_FILTER',
    'Message rejected due to anti-flooding mechanism',
  ),
  REJECTED_DUPLICATE_MESSAGE_ID: status(
    23,
    'REJECTED',
    'REJECTED_DUPLICATE_MESSAGE_ID',
    'Rejected duplicate message ID',
  ),
  REJECTED_MESSAGE_TOO_LONG: status(
    25,
    'REJECTED',
    'REJECTED_MESSAGE_TOO_LONG',
    'Message too long',
  ),
  MISSING_TO: status(51, 'REJECTED', 'MISSING_TO', 'Missing destination'),
  REJECTED_INVALID_DESTINATION: status(
    52,
    'REJECTED',
    'REJECTED_INVALID_DESTINATION',
    'Invalid destination address',
  ),
} as const satisfies Record<string, MessageStatus>;

export type StatusName = keyof typeof STATUSES;

function error(
  id: number,
  groupName: ErrorGroupName,
  name: string,
  description: string,
  permanent: boolean,
) {
  const groupId = { OK: 0, HANDSET_ERRORS: 1, USER_ERRORS: 2, OPERATOR_ERRORS: 3 }[groupName];
  return Object.freeze({ groupId, groupName, id, name, description, permanent });
}

export const ERRORS = {
  NO_ERROR: error(0, 'OK', 'NO_ERROR', 'No Error', false),
  EC_UNKNOWN_SUBSCRIBER: error(
    1,
    'HANDSET_ERRORS',
    'EC_UNKNOWN_SUBSCRIBER',
    'Unknown Subscriber',
    true,
  ),
  EC_ABSENT_SUBSCRIBER: error(
    27,
    'HANDSET_ERRORS',
    'EC_ABSENT_SUBSCRIBER',
    'Absent Subscriber',
    false,
  ),
  EC_SM_DF_MEMORYCAPACITYEXCEEDED: error(
    256,
    'HANDSET_ERRORS',
    'EC_SM_DF_memoryCapacityExceeded',
    'Memory Capacity Exceeded',
    false,
  ),
  EC_CALL_BARRED: error(13, 'HANDSET_ERRORS', 'EC_CALL_BARRED', 'Call Barred', false),
  // Guess: the group of the USER_ERRORS/OPERATOR_ERRORS rows is as infobip.md §5.4 notes them.
  EC_INVALID_DESTINATION_ADDRESS: error(
    351,
    'USER_ERRORS',
    'EC_INVALID_DESTINATION_ADDRESS',
    'Invalid destination address',
    true,
  ),
  EC_CONTENT_BLOCKED: error(603, 'USER_ERRORS', 'EC_CONTENT_BLOCKED', 'Content blocked', true),
  EC_DEST_ADDRESS_BLACKLISTED: error(
    2050,
    'OPERATOR_ERRORS',
    'EC_DEST_ADDRESS_BLACKLISTED',
    'Destination address blacklisted',
    true,
  ),
} as const satisfies Record<string, MessageError>;

export type ErrorName = keyof typeof ERRORS;

/** Final statuses end a message's life; pending ones may still change. */
export function isFinal(s: MessageStatus): boolean {
  return s.groupId !== GROUP_IDS.PENDING && s.groupId !== GROUP_IDS.ACCEPTED;
}

export function isStatusName(value: unknown): value is StatusName {
  return typeof value === 'string' && Object.hasOwn(STATUSES, value);
}

export function isErrorName(value: unknown): value is ErrorName {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}
