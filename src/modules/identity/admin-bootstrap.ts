import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { UsersService } from './users.service';

/** Runs in API processes only (the worker never creates users). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  constructor(private readonly users: UsersService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.users.ensureAdmin();
  }
}
