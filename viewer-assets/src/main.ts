/** Entry point of the perftool viewer (built by Vite; served from S3/CloudFront, GraphQL at /v1/graphql). */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { startApp } from './ui/app';

startApp(document.getElementById('app')!);
