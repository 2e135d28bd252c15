/** redkit for Node.js: the addon's classes (generated from the Rust sources) and the error classes. */
export * from '../index'
export * from './errors'
