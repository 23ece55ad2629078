import { Global, Module } from '@nestjs/common';
import * as path from 'node:path';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { FILE_STORE, LocalFileStore } from './file-store';

@Global()
@Module({
  providers: [{ provide: FILE_STORE, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new LocalFileStore(path.join(c.varDir, 'files')) }],
  exports: [FILE_STORE],
})
export class FilesModule {}
