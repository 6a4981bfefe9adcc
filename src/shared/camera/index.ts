export * from './types';
export * from './quaternion';
export * from './resample';
export * from './normalize';
export * from './rays';
