import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { ORDER_STATUSES } from '../../../db/schema'
import { CursorPage, CursorPageQuery, Id, Timestamp } from '../../http/common.model'
import { component, exampleOf } from '../../http/component.model'
import { Text } from '../../http/strict-input.model'
import type { Claim } from '../../platform/db/idempotency'
import { Phone } from '../members/members.model'
import type { MovedParts, MovePlan } from './orders.moves'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from './orders.rules'

const ADDRESS_EXAMPLE = {
  zipCode: '06236',
  address: '서울특별시 강남구 테헤란로 152',
  addressDetail: '강남파이낸스센터 12층 (12F)',
  receiverName: '김민수',
  receiverPhone: '010-1234-5678',
}

export const ShippingAddressInput = component(
  'ShippingAddressInput',
  t.Object({
    zipCode: t.String({ minLength: 3, maxLength: 10, pattern: '^[0-9A-Za-z -]*[0-9A-Za-z][0-9A-Za-z -]*$' }),
    address: Text({ maxLength: 200 }),
    addressDetail: t.Optional(
      t.Union([Text({ maxLength: 200, isMultiline: true, isBlankAllowed: true }), t.Null()]),
    ),
    receiverName: Text({ maxLength: 50 }),
    receiverPhone: Phone,
  }),
  { description: 'Where the order is delivered, and to whom', example: ADDRESS_EXAMPLE },
)

export const OrderLineInput = component(
  'OrderLineInput',
  t.Object({
    productId: Id,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  }),
  { description: 'A product and how many of it', example: { productId: 1, quantity: 2 } },
)

export const CreateOrderBody = component(
  'CreateOrderRequest',
  t.Object({
    orderItems: t.Array(OrderLineInput, {
      minItems: 1,
      maxItems: MAX_ORDER_LINES,
      description: `lines for the same product are merged; the merged quantity must stay within 1..${MAX_LINE_QUANTITY} too`,
    }),
    shippingAddress: ShippingAddressInput,
  }),
  {
    description: 'An order: every line is taken from stock, or none (409 naming the product)',
    example: {
      orderItems: [
        { productId: 1, quantity: 1 },
        { productId: 3, quantity: 2 },
      ],
      shippingAddress: ADDRESS_EXAMPLE,
    },
  },
)
export type CreateOrder = typeof CreateOrderBody.static

export const OrderStatus = component('OrderStatus', t.UnionEnum(ORDER_STATUSES, { default: undefined }), {
  description:
    'PENDING → CONFIRMED (paid) → SHIPPED → DELIVERED; CANCELLED from PENDING or CONFIRMED. An order is as far ' +
    'as its least advanced live part, and CANCELLED when every part is',
  example: 'CONFIRMED',
})

export const OrderItem = component(
  'OrderItem',
  t.Object({
    id: Id,
    productId: Id,
    sellerId: Id,
    productName: t.String({ description: 'Snapshot taken when the order was placed' }),
    productPrice: Type.Integer({ minimum: 0, description: 'Snapshot taken when the order was placed, KRW' }),
    quantity: Type.Integer({ minimum: 1 }),
    subtotal: Type.Integer({ minimum: 0, description: 'productPrice × quantity, KRW' }),
  }),
  {
    description: 'One line of an order, with the name and price the product had when it was ordered',
    example: {
      id: 101,
      productId: 1,
      sellerId: 2,
      productName: '갤럭시 북4 프로 14인치 노트북 (Galaxy Book4 Pro Laptop)',
      productPrice: 1_500_000,
      quantity: 1,
      subtotal: 1_500_000,
    },
  },
)

export const OrderPart = component(
  'OrderPart',
  t.Object({
    sellerId: Id,
    status: OrderStatus,
    subtotal: Type.Integer({ minimum: 0, description: "Total of this seller's lines, KRW" }),
    updatedAt: Timestamp,
  }),
  {
    description: "One seller's part of the order: its fulfilment status and the total of its lines",
    example: { sellerId: 2, status: 'CONFIRMED', subtotal: 1_500_000, updatedAt: '2026-11-25T10:05:00.000Z' },
  },
)

export const ShippingAddress = component(
  'ShippingAddress',
  t.Object({
    zipCode: t.String(),
    address: t.String(),
    addressDetail: t.Union([t.String(), t.Null()]),
    receiverName: t.String(),
    receiverPhone: t.String(),
  }),
  { description: 'Where an order is delivered, as the buyer gave it', example: ADDRESS_EXAMPLE },
)

export const Order = component(
  'Order',
  t.Object({
    id: Id,
    orderNumber: t.String({ pattern: '^[0-9A-F]{16}$', description: 'Random, unique, 16 upper-case hex' }),
    buyerId: Id,
    status: OrderStatus,
    totalAmount: Type.Integer({ minimum: 0, description: 'Sum of the lines shown, KRW' }),
    shippingAddress: ShippingAddress,
    orderItems: t.Array(OrderItem),
    parts: t.Array(OrderPart, {
      description: "one per seller; a seller's view holds only its own part (and only its own lines)",
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
  {
    description: "An order: the buyer's lines grouped into one part per seller",
    example: {
      id: 42,
      orderNumber: '8F3A2C9D1E4B7F60',
      buyerId: 3,
      status: 'CONFIRMED',
      totalAmount: 1_500_000,
      shippingAddress: ADDRESS_EXAMPLE,
      orderItems: [exampleOf(OrderItem)],
      parts: [exampleOf(OrderPart)],
      createdAt: '2026-11-25T10:00:00.000Z',
      updatedAt: '2026-11-25T10:05:00.000Z',
    },
  },
)
export type Order = typeof Order.static

/** A placement's answer: the order, and whether it was replayed from a stored idempotency key. */
export type PlacedOrder = { order: Order; isReplay: boolean }

/**
 * The two writes of the order lifecycle, each atomic, on the driver the database runs on: one local transaction
 * (orders.transactions.ts) or one batch on a libSQL server (orders.batches.ts). `lines` are merged and in
 * ascending product id; with `claim`, the idempotency key is claimed with the order itself.
 */
export interface OrderWrites {
  place(
    buyerId: number,
    lines: { productId: number; quantity: number }[],
    address: CreateOrder['shippingAddress'],
    claim?: Claim,
  ): Promise<PlacedOrder>
  moveParts(id: number, plan: MovePlan): Promise<MovedParts>
}

export const OrderCursorPage = CursorPage(Order)
export const OrderListQuery = t.Object(CursorPageQuery)

export const ChangeOrderStatusBody = component(
  'ChangeOrderStatusRequest',
  t.Object({
    status: OrderStatus,
    sellerId: t.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description:
          'admins only: the seller whose part moves (without it, every part that is not cancelled moves). ' +
          "A seller always moves its own part; another seller's id is refused",
      }),
    ),
  }),
  { description: 'The status a part of the order moves to', example: { status: 'SHIPPED' } },
)
