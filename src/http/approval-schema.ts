import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import {
  APPROVAL_KINDS,
  APPROVAL_STATUSES,
  type Approval,
  type ApprovalKind,
  type ApprovalStatus,
} from '../approvals/approval.js';

const Person = Type.Object({
  kind: Type.String({ description: 'token, user, system or cli' }),
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
});

/** A request waiting for (or decided by) a second person. */
export const ApprovalSchema = Type.Object(
  {
    id: Type.String(),
    sandbox: Type.String(),
    kind: Type.Unsafe<ApprovalKind>({ type: 'string', enum: [...APPROVAL_KINDS] }),
    permission: Type.String({ description: 'What an approver must hold: send or compliance' }),
    resource: Type.Object({
      type: Type.String(),
      id: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
    }),
    change: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The change as requested (never a secret)',
    }),
    requestedBy: Person,
    requestedAt: Type.String(),
    status: Type.Unsafe<ApprovalStatus>({ type: 'string', enum: [...APPROVAL_STATUSES] }),
    decidedBy: Type.Union([Person, Type.Null()]),
    decidedAt: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    result: Type.Unknown({ description: 'What applying the change answered' }),
  },
  { title: 'Approval request' },
);

/** The 202 answer of a change that waits for a second person's approval. */
export const PendingApproval = Type.Object(
  { approval: ApprovalSchema },
  {
    description:
      'Accepted: the change waits for a second person’s approval (nothing else changed). GET /api/v1/approvals/{id} follows it.',
  },
);

/** Answers an intercepted change: 202 with the request, and where to follow it. */
export function answerPending(reply: FastifyReply, approval: Approval) {
  reply.header('location', `/api/v1/approvals/${approval.id}`);
  return reply.status(202).send({ approval });
}
