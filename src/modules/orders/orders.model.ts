import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { ORDER_STATUSES } from '../../../db/schema'
import { CursorPage, CursorPageQuery, Id, Timestamp } from '../../http/common.model'
import { Text } from '../../http/strict-input.model'
import { Phone } from '../members/members.model'
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES } from './orders.rules'

export const ShippingAddress = t.Object({
  zipCode: t.String({ minLength: 3, maxLength: 10, pattern: '^[0-9A-Za-z -]*[0-9A-Za-z][0-9A-Za-z -]*$' }),
  address: Text({ maxLength: 200 }),
  addressDetail: t.Optional(
    t.Union([Text({ maxLength: 200, isMultiline: true, isBlankAllowed: true }), t.Null()]),
  ),
  receiverName: Text({ maxLength: 50 }),
  receiverPhone: Phone,
})

export const CreateOrderBody = t.Object({
  orderItems: t.Array(
    t.Object({
      productId: Id,
      quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
    }),
    {
      minItems: 1,
      maxItems: MAX_ORDER_LINES,
      description: `lines for the same product are merged; the merged quantity must stay within 1..${MAX_LINE_QUANTITY} too`,
    },
  ),
  shippingAddress: ShippingAddress,
})
export type CreateOrder = typeof CreateOrderBody.static

export const OrderStatus = t.UnionEnum(ORDER_STATUSES, { default: undefined })

export const OrderItem = t.Object({
  id: Id,
  productId: Id,
  sellerId: Id,
  productName: t.String(),
  productPrice: Type.Integer({ minimum: 0 }),
  quantity: Type.Integer({ minimum: 1 }),
  subtotal: Type.Integer({ minimum: 0 }),
})

export const OrderPart = t.Object(
  {
    sellerId: Id,
    status: OrderStatus,
    subtotal: Type.Integer({ minimum: 0 }),
    updatedAt: Timestamp,
  },
  { description: "One seller's part of the order: its fulfilment status and the total of its lines" },
)

export const Order = t.Object({
  id: Id,
  orderNumber: t.String({ pattern: '^[0-9A-F]{16}$' }),
  buyerId: Id,
  status: OrderStatus,
  totalAmount: Type.Integer({ minimum: 0 }),
  shippingAddress: t.Object({
    zipCode: t.String(),
    address: t.String(),
    addressDetail: t.Union([t.String(), t.Null()]),
    receiverName: t.String(),
    receiverPhone: t.String(),
  }),
  orderItems: t.Array(OrderItem),
  parts: t.Array(OrderPart, {
    description: "one per seller; a seller's view holds only its own part (and only its own lines)",
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type Order = typeof Order.static

export const OrderCursorPage = CursorPage(Order)
export const OrderListQuery = t.Object(CursorPageQuery)

export const ChangeOrderStatusBody = t.Object({
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
})
