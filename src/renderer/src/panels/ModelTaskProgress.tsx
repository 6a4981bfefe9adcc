/** A model download, verification or graph build: total bar, one bar per file or network, and how it ended. */
import type { ModelTask, ModelTaskItem } from '../../../shared/api/modelSchemas';
import { formatBytes } from '../../../shared/formatBytes';

const TITLES: Record<ModelTask['kind'], string> = { download: 'Download', verify: 'Verification', build: 'Graph build' };

function totalText(task: ModelTask): string {
  if (task.unit === 'bytes') {
    const rate = task.bytesPerSecond ? ` · ${formatBytes(task.bytesPerSecond)}/s` : '';
    const left = task.bytesPerSecond && task.total > task.done ? ` · about ${Math.ceil((task.total - task.done) / task.bytesPerSecond / 60)} min left` : '';
    return `${formatBytes(task.done)} of ${formatBytes(task.total)}${rate}${left}`;
  }
  return `${task.done} of ${task.total} ${task.unit}`;
}

function itemText(task: ModelTask, item: ModelTaskItem): string {
  if (task.unit === 'networks') return item.note ?? item.state;
  const size = item.state === 'done' || item.done === 0 ? formatBytes(item.total) : `${formatBytes(item.done)} of ${formatBytes(item.total)}`;
  return item.note ? `${size} · ${item.note}` : size;
}

const fraction = (done: number, total: number) => (total > 0 ? Math.min(1, done / total) : 0);

export function ModelTaskProgress({ task }: { task: ModelTask }) {
  const total = fraction(task.done, task.total);
  return (
    <div className={`model-task ${task.state}`} data-testid="model-task" data-kind={task.kind} data-state={task.state}>
      <div className="model-task-head">
        <strong>{TITLES[task.kind]}</strong>
        <span className={`badge ${task.state}`}>{task.state}</span>
      </div>
      <div className="bar overall" title={`${Math.round(total * 100)} %`}>
        <div style={{ width: `${total * 100}%` }} data-testid="model-task-total" data-fraction={total.toFixed(3)} />
      </div>
      <div className="hint" data-testid="model-task-total-text">{totalText(task)}</div>
      {task.message && task.state === 'running' && <div className="hint">{task.message}</div>}
      <ul className="model-task-items">
        {task.items.map((item) => (
          <li key={item.id} className={`model-task-item ${item.state}`} data-testid="model-task-item" data-state={item.state}>
            <div className="model-task-item-head">
              <span className="name" title={item.label}>{item.label}</span>
              <span className="hint">{itemText(task, item)}</span>
            </div>
            <div className="bar"><div style={{ width: `${fraction(item.done, item.total) * 100}%` }} /></div>
          </li>
        ))}
      </ul>
      {task.summary && <p className="hint" data-testid="model-task-summary">{task.summary}</p>}
      {task.error && <p className="problem" data-testid="model-task-error">{task.error.message}</p>}
      {task.problems.map((p) => <p key={p} className="problem">{p}</p>)}
    </div>
  );
}
