export * from './jobSchemas';
export * from './projectSchemas';
export * from './modelSchemas';
export * from './events';
export * from './methods';
export * from './studioApi';
export * from './protocol';
export * from './binaryCodec';
