// Campaign services: campaign-as-code (apply, files), lint facts, lifecycle operations, revisions.
export * from './apply-campaign.js';
export * from './campaign-file.js';
export * from './lifecycle.js';
export * from './lint-facts.js';
export * from './validate-spec.js';
