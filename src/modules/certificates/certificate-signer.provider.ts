import { Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { CertificateSigner } from './render/signing';

/** One signing key per process, from CERT_SIGNING_KEY (or the one generated into secrets.json). */
export const CertificateSignerProvider: Provider = {
  provide: CertificateSigner,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => new CertificateSigner(config.certificates.signingSeed),
};
