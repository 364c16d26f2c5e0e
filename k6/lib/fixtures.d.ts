// The shape of fixtures.js, for the TypeScript that imports it (scripts/load).
export declare const DEMO_PRODUCTS: number

export declare const SHIPPING_ADDRESS: {
  zipCode: string
  address: string
  receiverName: string
  receiverPhone: string
}

export declare function addressOf(n: number): string
