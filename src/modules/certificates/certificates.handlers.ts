import { CertificateRenderHandler } from './certificate-render.handler';

/** The certificates module's job handlers, listed in AppModule's HANDLERS. */
export const CERTIFICATE_HANDLERS: Array<new (...args: never[]) => unknown> = [CertificateRenderHandler];
