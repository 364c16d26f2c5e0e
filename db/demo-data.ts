/**
 * Demo data of SPEC §9, as plain data, with fixed ids so the guide's exercises and the k6 scenarios can name them
 * (product 1 is the Laptop). src/demo-data.ts inserts it.
 */

export const DEMO_MEMBERS = [
  {
    id: 1,
    email: 'admin@example.com',
    password: 'admin123!',
    name: 'Admin User',
    phone: '010-0000-0000',
    role: 'ADMIN',
    businessNumber: null,
  },
  {
    id: 2,
    email: 'seller@example.com',
    password: 'seller123!',
    name: 'Seller User',
    phone: '010-1111-1111',
    role: 'SELLER',
    businessNumber: '123-45-67890',
  },
  {
    id: 3,
    email: 'buyer@example.com',
    password: 'buyer123!',
    name: 'Buyer User',
    phone: '010-2222-2222',
    role: 'BUYER',
    businessNumber: null,
  },
] as const

export const DEMO_CATEGORIES = [
  { id: 1, name: 'Electronics', displayOrder: 1 },
  { id: 2, name: 'Clothing', displayOrder: 2 },
  { id: 3, name: 'Books', displayOrder: 3 },
]

/** all of the demo seller (member 2), ON_SALE */
export const DEMO_PRODUCTS = [
  {
    id: 1,
    name: 'Laptop',
    price: 1_500_000,
    stockQuantity: 50,
    categoryId: 1,
    description: 'High-performance laptop for professionals',
  },
  {
    id: 2,
    name: 'Smartphone',
    price: 900_000,
    stockQuantity: 100,
    categoryId: 1,
    description: 'Latest smartphone with amazing camera',
  },
  {
    id: 3,
    name: 'Winter Jacket',
    price: 150_000,
    stockQuantity: 30,
    categoryId: 2,
    description: 'Warm and stylish winter jacket',
  },
  {
    id: 4,
    name: 'Kotlin Programming',
    price: 35_000,
    stockQuantity: 200,
    categoryId: 3,
    description: 'Comprehensive guide to Kotlin programming',
  },
]
