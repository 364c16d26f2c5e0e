export * from './catalog'
export * from './events'
export * from './members'
export * from './orders'
