/** `redkit/express`: Express (and Connect-style) integrations. */
export * from './rate-limit'
