/**
 * Inside the canvas: registers the view camera (Space records it), reports its pose a few times a
 * second, and while "look through" is on puts it at the path's pose at the playhead every frame
 * (after the fly controls, so scrubbing and playback win over stray keys).
 */
import { useEffect, useRef } from 'react';
import { useFrame, useThree } from '@react-three/fiber';
import type * as THREE from 'three';
import { useStudio } from '../state/store';
import { getViewPose, registerViewCamera, setViewPose } from './viewCamera';

const POSE_REPORT_MS = 150;

export function LookThrough() {
  const camera = useThree((s) => s.camera) as THREE.PerspectiveCamera;
  const lastReport = useRef(0);
  useEffect(() => {
    registerViewCamera(camera);
    return () => registerViewCamera(null);
  }, [camera]);

  useFrame(() => {
    const s = useStudio.getState();
    if (s.lookThrough) {
      const pose = s.trajectoryEditor.poseAtPlayhead();
      if (pose) setViewPose(pose);
    }
    const now = performance.now();
    if (now - lastReport.current >= POSE_REPORT_MS) {
      lastReport.current = now;
      s.setTrajectoryView({ viewPose: getViewPose() });
    }
  });
  return null;
}
