export type { FloatTensor, WeightDType, WeightInfo, WeightSource } from './types';
export { openSafetensors, openSafetensorsFolder, type SafetensorsSource } from './safetensors';
export { openTorchCheckpoint, type TorchCheckpoint } from './torchCheckpoint';
export { TorchStorageRef, TorchTensorRef } from './torchPickle';
export { PickleDict, PickleGlobal, PickleObject, isTuple, toPlain } from './pickle';
export { withPrefix, missingTensorError } from './weightSource';
export { DTYPE_BYTES, convertToFloatTensor, shapeElements } from './dtypes';
export {
  createSafetensorsWriter,
  createShardedSafetensorsWriter,
  type StreamingWeightWriter,
  type TensorDeclaration,
} from './safetensorsWriter';
export {
  createTorchCheckpointWriter,
  pyTuple,
  PyFloat,
  torchTensor,
  torchView,
  type TorchCheckpointWriter,
  type TorchValue,
} from './torchCheckpointWriter';
