/**
 * The prompt image with the crop the engine will use: a centre crop to the W:H aspect (upstream
 * app.py crops before resizing), drawn as a frame with the discarded parts dimmed.
 */
import { useState } from 'react';

export function cropRect(imageW: number, imageH: number, targetW: number, targetH: number) {
  const target = targetW / targetH;
  if (imageW / imageH > target) {
    const w = imageH * target;
    return { x: (imageW - w) / 2, y: 0, w, h: imageH };
  }
  const h = imageW / target;
  return { x: 0, y: (imageH - h) / 2, w: imageW, h };
}

export function ImageCropPreview({ src, width, height }: { src: string; width: number; height: number }) {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const crop = size ? cropRect(size.w, size.h, width, height) : null;
  return (
    <div className="crop-preview" data-testid="crop-preview">
      <img src={src} alt="Image prompt" onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
      {crop && size && (
        <div
          className="crop-frame"
          data-testid="crop-frame"
          style={{ left: `${(crop.x / size.w) * 100}%`, top: `${(crop.y / size.h) * 100}%`, width: `${(crop.w / size.w) * 100}%`, height: `${(crop.h / size.h) * 100}%` }}
          title={`The engine uses this ${Math.round(crop.w)}×${Math.round(crop.h)} crop, resized to ${width}×${height}.`}
        />
      )}
    </div>
  );
}
