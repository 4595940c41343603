// The editable details of a video — title, description, tags, visibility — as form
// fields, used by the upload page and by My videos. values() gives what PATCH
// /api/videos/{id} takes; fields is what showApiError() spreads errors over.
import { field, selectField } from '../forms.js';
import {
  formatTags, maxDescriptionLength, maxTitleLength, parseTags, visibilities, visibilityHint,
} from '../videos.js';

export function videoFields({ title = '', description = '', tags = [], visibility = 'public' } = {}) {
  const titleField = field({
    name: 'title', label: 'Title', value: title, maxlength: maxTitleLength, required: true,
    hint: `Up to ${maxTitleLength} characters.`,
  });
  const descriptionField = field({
    name: 'description', label: 'Description', value: description, multiline: true, rows: 3,
    maxlength: maxDescriptionLength, optional: true, hint: 'Tell viewers about your video. Line breaks are kept.',
  });
  const tagsField = field({
    name: 'tags', label: 'Tags', value: formatTags(tags), optional: true, autocapitalize: 'none',
    hint: 'Separate tags with commas: up to 15 tags of at most 30 characters.',
  });
  const visibilityField = selectField({
    name: 'visibility', label: 'Visibility', value: visibility, options: visibilities, hint: visibilityHint(visibility),
  });
  visibilityField.input.addEventListener('change', () => {
    visibilityField.hintElement.textContent = visibilityHint(visibilityField.input.value);
  });

  const fields = [titleField, descriptionField, tagsField, visibilityField];
  return {
    fields,
    title: titleField,
    description: descriptionField,
    tags: tagsField,
    visibility: visibilityField,
    values() {
      return {
        title: titleField.input.value.trim(),
        description: descriptionField.input.value,
        tags: parseTags(tagsField.input.value),
        visibility: visibilityField.input.value,
      };
    },
    // Only what differs from `video` (all of it when there is none).
    changes(video) {
      const next = this.values();
      if (!video) return next;
      const changed = {};
      if (next.title !== video.title) changed.title = next.title;
      if (next.description !== (video.description ?? '')) changed.description = next.description;
      if (formatTags(next.tags) !== formatTags(video.tags)) changed.tags = next.tags;
      if (next.visibility !== video.visibility) changed.visibility = next.visibility;
      return changed;
    },
    fill(video) {
      titleField.input.value = video.title ?? '';
      descriptionField.input.value = video.description ?? '';
      tagsField.input.value = formatTags(video.tags);
      visibilityField.input.value = video.visibility ?? 'public';
      visibilityField.hintElement.textContent = visibilityHint(visibilityField.input.value);
    },
    clearErrors() {
      for (const f of fields) f.clearError();
    },
  };
}
