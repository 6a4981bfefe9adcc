/** Every trajectory and viewer shortcut, from the same table the key handler uses. */
import { useStudio } from '../state/store';
import { TRAJECTORY_SHORTCUTS, VIEWER_SHORTCUTS } from './shortcuts';

export function ShortcutHelp() {
  const open = useStudio((s) => s.showShortcuts);
  const setView = useStudio((s) => s.setTrajectoryView);
  if (!open) return null;
  return (
    <div className="shortcut-help" data-testid="shortcut-help" role="dialog" aria-label="Keyboard shortcuts">
      <h3>Keyboard shortcuts <button onClick={() => setView({ showShortcuts: false })}>×</button></h3>
      <table>
        <tbody>
          {TRAJECTORY_SHORTCUTS.map((s) => <tr key={s.keys}><td><kbd>{s.keys}</kbd></td><td>{s.action}</td></tr>)}
          {VIEWER_SHORTCUTS.map(([k, a]) => <tr key={k}><td><kbd>{k}</kbd></td><td>{a}</td></tr>)}
        </tbody>
      </table>
    </div>
  );
}
