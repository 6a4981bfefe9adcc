/**
 * A move / rotate gizmo (three.js TransformControls) on the selected keyframe, when exactly one is
 * selected. It drags a proxy object, not the key: the document changes once, on release, as one
 * editor edit (one undo step), so a drag never floods the undo history or re-samples the path per
 * pointer move. G / R switch the mode; while dragging, the fly controls stand still.
 */
import { useEffect, useMemo } from 'react';
import { useThree } from '@react-three/fiber';
import * as THREE from 'three';
import { TransformControls } from 'three/examples/jsm/controls/TransformControls.js';
import { useStudio } from '../state/store';
import { placeAtPose, wxyzFromThreeQuaternion } from './gizmoPose';
import { editSelectedKeys } from './trajectoryActions';

export function KeyGizmo() {
  const camera = useThree((s) => s.camera);
  const gl = useThree((s) => s.gl);
  const scene = useThree((s) => s.scene);
  const mode = useStudio((s) => s.gizmoMode);
  const lookThrough = useStudio((s) => s.lookThrough);
  const key = useStudio((s) => {
    const { selection, trajectory } = s.trajectory;
    return selection.length === 1 ? trajectory.keyframes.find((k) => k.id === selection[0]) ?? null : null;
  });

  const proxy = useMemo(() => new THREE.Object3D(), []);
  const controls = useMemo(() => new TransformControls(camera, gl.domElement), [camera, gl]);

  useEffect(() => {
    const helper = controls.getHelper();
    scene.add(proxy, helper);
    const onDragging = (e: { value: unknown }) => useStudio.getState().setTrajectoryView({ gizmoDragging: Boolean(e.value) });
    const onRelease = () => {
      const { selection, trajectory } = useStudio.getState().trajectory;
      const before = trajectory.keyframes.find((k) => k.id === selection[0]);
      const placed = new THREE.Object3D();
      if (before) placeAtPose(placed, before);
      // A click on a handle without a move is no edit (no empty undo step).
      if (placed.position.equals(proxy.position) && placed.quaternion.equals(proxy.quaternion)) return;
      // Only what the mode edits: a move keeps the stored rotation bit for bit, and vice versa.
      if (controls.mode === 'translate') editSelectedKeys({ position: { x: proxy.position.x, y: proxy.position.y, z: proxy.position.z } });
      else editSelectedKeys({ quaternionWXYZ: wxyzFromThreeQuaternion(proxy.quaternion) });
    };
    controls.addEventListener('dragging-changed', onDragging);
    controls.addEventListener('mouseUp', onRelease);
    return () => {
      controls.removeEventListener('dragging-changed', onDragging);
      controls.removeEventListener('mouseUp', onRelease);
      controls.detach();
      scene.remove(proxy, helper);
      controls.dispose();
      useStudio.getState().setTrajectoryView({ gizmoDragging: false });
    };
  }, [controls, proxy, scene]);

  useEffect(() => {
    controls.setMode(mode);
  }, [controls, mode]);

  useEffect(() => {
    if (!key || lookThrough) {
      controls.detach();
      return;
    }
    // The key (after an edit, undo or another selection) decides where the proxy sits.
    placeAtPose(proxy, key);
    controls.attach(proxy);
  }, [controls, proxy, key, lookThrough]);

  return null;
}
